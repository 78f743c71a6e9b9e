//! What every recorder pipeline shares: making elements, the way in of a track (from its
//! socket through the jitter buffer and depayloader), file output, and the bus.

use std::path::Path;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::AppSrc;
use ov_protocol::recorder::TrackCodec;

use crate::rtp_in::RtpIn;
use crate::run::Input;
use crate::track::{Codec, Kind, rtp_caps};

/// Jitter buffer depth: enough to reorder loopback and the last mile, small enough that a
/// recording starts at once.
const JITTER_MS: u32 = 200;

pub fn make(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| format!("GStreamer element {factory} is not installed"))
}

/// Adds `elements` to `pipeline` and links them in order.
pub fn add_chain(pipeline: &gst::Pipeline, elements: &[gst::Element]) -> Result<(), String> {
    pipeline.add_many(elements).map_err(|e| e.to_string())?;
    gst::Element::link_many(elements)
        .map_err(|e| format!("cannot link the recording pipeline: {e}"))
}

/// A file sink that writes every buffer as it comes, so that a killed process leaves
/// everything the muxer produced on disk.
pub fn file_sink(path: &Path) -> Result<gst::Element, String> {
    let sink = make("filesink")?;
    sink.set_property("location", path.to_string_lossy().as_ref());
    sink.set_property_from_str("buffer-mode", "unbuffered");
    sink.set_property("sync", false);
    sink.set_property("async", false);
    Ok(sink)
}

/// One track's way in: its socket, and `appsrc ! rtpjitterbuffer ! depayloader…`.
pub struct TrackIn {
    pub codec: Codec,
    pub input: RtpIn,
    /// The elements from `appsrc` to the depayloader (and parser), in order.
    pub elements: Vec<gst::Element>,
    pub appsrc: AppSrc,
}

impl TrackIn {
    /// Builds the chain (not yet in a pipeline) and opens its socket. Keyframe requests
    /// that reach the `appsrc` from downstream become [`Input::Keyframe`]s of `stream_id`.
    pub fn new(
        kind: Kind,
        track: &TrackCodec,
        stream_id: &str,
        tx: &Sender<Input>,
    ) -> Result<TrackIn, String> {
        let codec = Codec::of(kind, track)?;
        let appsrc = AppSrc::builder()
            .caps(&rtp_caps(codec, track))
            .is_live(true)
            .do_timestamp(true)
            .format(gst::Format::Time)
            .max_bytes(4 << 20)
            .build();
        appsrc.set_property_from_str("leaky-type", "downstream");
        let jitter = make("rtpjitterbuffer")?;
        jitter.set_property("latency", JITTER_MS);
        let mut elements = vec![appsrc.clone().upcast(), jitter];
        for name in codec.depayloaders() {
            let e = make(name)?;
            if name.ends_with("depay") && kind == Kind::Video {
                e.set_property("request-keyframe", true);
                e.set_property("wait-for-keyframe", true);
            }
            elements.push(e);
        }
        if kind == Kind::Video {
            let pad = appsrc.static_pad("src").ok_or("appsrc without a src pad")?;
            let (tx, id) = (tx.clone(), stream_id.to_owned());
            pad.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
                if info
                    .event()
                    .is_some_and(|e| gstreamer_video::UpstreamForceKeyUnitEvent::parse(e).is_ok())
                {
                    let _ = tx.send(Input::Keyframe(id.clone()));
                }
                gst::PadProbeReturn::Ok
            });
        }
        let input = RtpIn::spawn(appsrc.clone())?;
        Ok(TrackIn {
            codec,
            input,
            elements,
            appsrc,
        })
    }
}

/// Set once a pipeline's end of stream reached its sinks.
#[derive(Default)]
pub struct EosFlag {
    done: Mutex<bool>,
    cond: Condvar,
}

impl EosFlag {
    fn set(&self) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cond.notify_all();
    }

    /// Waits up to `timeout`; whether the end of stream came.
    pub fn wait(&self, timeout: Duration) -> bool {
        let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        let (done, _) = self
            .cond
            .wait_timeout_while(done, timeout, |d| !*d)
            .unwrap_or_else(|e| e.into_inner());
        *done
    }
}

/// Watches a pipeline's bus from GStreamer's threads: end of stream sets the returned
/// flag, errors and latency changes go to the main loop tagged with `owner`.
pub fn watch_bus(pipeline: &gst::Pipeline, owner: u64, tx: Sender<Input>) -> Arc<EosFlag> {
    let eos = Arc::new(EosFlag::default());
    let flag = eos.clone();
    let tx = Mutex::new(tx);
    pipeline
        .bus()
        .expect("a pipeline has a bus")
        .set_sync_handler(move |_, msg| {
            use gst::MessageView;
            let send = |i: Input| {
                let _ = tx.lock().unwrap_or_else(|e| e.into_inner()).send(i);
            };
            match msg.view() {
                MessageView::Eos(_) => flag.set(),
                MessageView::Error(e) => {
                    let from = msg.src().map(|s| s.name().to_string()).unwrap_or_default();
                    send(Input::Failed(owner, format!("{from}: {}", e.error())));
                    if let Some(debug) = e.debug() {
                        eprintln!("GStreamer error in {from}: {} ({debug})", e.error());
                    }
                }
                MessageView::Warning(w) => eprintln!("GStreamer warning: {}", w.error()),
                MessageView::Latency(_) => send(Input::Latency),
                _ => {}
            }
            gst::BusSyncReply::Drop
        });
    eos
}

/// Sends end of stream into the pipeline and waits for it to be written; then stops it.
pub fn finish(pipeline: &gst::Pipeline, eos: &EosFlag, sources: &[AppSrc]) -> bool {
    for s in sources {
        let _ = s.end_of_stream();
    }
    if sources.is_empty() {
        pipeline.send_event(gst::event::Eos::new());
    }
    let done = eos.wait(Duration::from_secs(10));
    let _ = pipeline.set_state(gst::State::Null);
    done
}
