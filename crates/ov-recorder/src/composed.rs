//! COMPOSED: the whole session in one file. Every stream is decoded; videos are laid out
//! on a compositor, audio is mixed; H.264 + AAC go to a fragmented MP4 (a fragment every
//! second, so a killed process leaves a playable file), audio-only sessions to Opus in
//! WebM. Black video and silence run underneath, so the file grows from the first second
//! even before anyone publishes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use ov_protocol::recorder::ComposedFile;

use crate::layout::Layout;
use crate::pipeline::{EosFlag, TrackIn, add_chain, file_sink, finish, make, watch_bus};
use crate::run::{COMPOSED_PIPELINE, Input, StreamSpec};
use crate::track::Kind;

/// How late a stream's frames may reach the mixers (its jitter buffer plus decoding).
const MIX_LATENCY_NS: u64 = 400_000_000;
/// One MP4 fragment per second at most.
const FRAGMENT_MS: u32 = 1000;
/// How long `started` may wait for the file's first bytes.
const FIRST_BYTES: Duration = Duration::from_secs(5);

/// What the `start` command asked for.
pub struct ComposedSpec {
    pub dir: PathBuf,
    pub name: String,
    pub has_audio: bool,
    pub has_video: bool,
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub layout: Layout,
    pub thumbnail: Option<PathBuf>,
}

struct VideoMix {
    compositor: gst::Element,
    /// Keeps the last composed frame, for the thumbnail.
    frames: gst::Element,
}

struct Branch {
    stream_id: String,
    screen: bool,
    tracks: Vec<BranchTrack>,
}

struct BranchTrack {
    kind: Kind,
    input: TrackIn,
    /// Every element of the branch, `appsrc` first.
    elements: Vec<gst::Element>,
    /// The mixer's pad it feeds.
    pad: gst::Pad,
}

pub struct Composed {
    spec: ComposedSpec,
    file: String,
    path: PathBuf,
    pipeline: gst::Pipeline,
    eos: Arc<EosFlag>,
    video: Option<VideoMix>,
    audio: Option<gst::Element>,
    branches: Vec<Branch>,
    thumbnail: Option<gst::Sample>,
    tx: Sender<Input>,
}

fn caps_filter(caps: gst::Caps) -> Result<gst::Element, String> {
    let f = make("capsfilter")?;
    f.set_property("caps", &caps);
    Ok(f)
}

fn raw_audio() -> gst::Caps {
    gst::Caps::builder("audio/x-raw")
        .field("format", "S16LE")
        .field("rate", 48_000i32)
        .field("channels", 2i32)
        .field("layout", "interleaved")
        .build()
}

fn link_to(from: &gst::Element, pad: &gst::Pad) -> Result<(), String> {
    from.static_pad("src")
        .ok_or("element without src pad")?
        .link(pad)
        .map(|_| ())
        .map_err(|e| format!("cannot link to {}: {e:?}", pad.name()))
}

impl Composed {
    pub fn start(spec: ComposedSpec, tx: &Sender<Input>) -> Result<Composed, String> {
        if !spec.has_audio && !spec.has_video {
            return Err("a COMPOSED recording needs audio or video".into());
        }
        let ext = if spec.has_video { "mp4" } else { "webm" };
        let file = format!("{}.{ext}", spec.name);
        let path = spec.dir.join(&file);
        let pipeline = gst::Pipeline::with_name("composed");
        let mux = if spec.has_video {
            let m = make("mp4mux")?;
            m.set_property("fragment-duration", FRAGMENT_MS);
            m
        } else {
            make("webmmux")?
        };
        add_chain(&pipeline, &[mux.clone(), file_sink(&path)?])?;

        let video = if spec.has_video {
            Some(Self::video_mix(&pipeline, &spec, &mux)?)
        } else {
            None
        };
        let audio = if spec.has_audio {
            Some(Self::audio_mix(&pipeline, spec.has_video, &mux)?)
        } else {
            None
        };
        let eos = watch_bus(&pipeline, COMPOSED_PIPELINE, tx.clone());
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| "the composing pipeline did not start".to_owned())?;
        let deadline = Instant::now() + FIRST_BYTES;
        while std::fs::metadata(&path).map_or(0, |m| m.len()) == 0 {
            if Instant::now() > deadline {
                let _ = pipeline.set_state(gst::State::Null);
                return Err(format!(
                    "nothing was written to {} within {FIRST_BYTES:?}",
                    path.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Composed {
            spec,
            file,
            path,
            pipeline,
            eos,
            video,
            audio,
            branches: Vec::new(),
            thumbnail: None,
            tx: tx.clone(),
        })
    }

    /// Black frames ! compositor ! H.264 ! the muxer, with a tee keeping the last frame.
    fn video_mix(
        pipeline: &gst::Pipeline,
        spec: &ComposedSpec,
        mux: &gst::Element,
    ) -> Result<VideoMix, String> {
        let raw = gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .field("width", spec.width as i32)
            .field("height", spec.height as i32)
            .field("framerate", gst::Fraction::new(spec.frame_rate as i32, 1))
            // Browsers' VP8/VP9/H.264 are BT.601 and the compositor copies their values,
            // so the file says so too (GStreamer would call HD sizes BT.709).
            .field("colorimetry", "bt601")
            .build();
        let background = make("videotestsrc")?;
        background.set_property("is-live", true);
        background.set_property_from_str("pattern", "black");
        let background_caps = caps_filter(raw.clone())?;
        add_chain(pipeline, &[background, background_caps.clone()])?;

        let compositor = make("compositor")?;
        compositor.set_property_from_str("background", "black");
        compositor.set_property("latency", MIX_LATENCY_NS);
        let out_caps = caps_filter(raw)?;
        let tee = make("tee")?;
        let to_encoder = make("queue")?;
        let encoder = make("x264enc")?;
        encoder.set_property_from_str("tune", "zerolatency");
        encoder.set_property_from_str("speed-preset", "veryfast");
        let pixels_per_second = u64::from(spec.width * spec.height * spec.frame_rate);
        encoder.set_property(
            "bitrate",
            (pixels_per_second * 7 / 100_000).clamp(300, 8000) as u32,
        );
        encoder.set_property("key-int-max", spec.frame_rate * 2);
        let parse = make("h264parse")?;
        add_chain(
            pipeline,
            &[
                compositor.clone(),
                out_caps,
                tee.clone(),
                to_encoder,
                encoder,
                parse.clone(),
            ],
        )?;
        link_to_mux(&parse, mux, Kind::Video)?;
        let to_frames = make("queue")?;
        to_frames.set_property_from_str("leaky", "downstream");
        to_frames.set_property("max-size-buffers", 1u32);
        let frames = make("fakesink")?;
        frames.set_property("sync", false);
        frames.set_property("async", false);
        frames.set_property("enable-last-sample", true);
        pipeline
            .add_many([&to_frames, &frames])
            .map_err(|e| e.to_string())?;
        gst::Element::link_many([&tee, &to_frames, &frames]).map_err(|e| e.to_string())?;

        let pad = compositor
            .request_pad_simple("sink_%u")
            .ok_or("compositor refused a pad")?;
        pad.set_property("zorder", 0u32);
        link_to(&background_caps, &pad)?;
        Ok(VideoMix { compositor, frames })
    }

    /// Silence ! audiomixer ! AAC (Opus without video) ! the muxer.
    fn audio_mix(
        pipeline: &gst::Pipeline,
        with_video: bool,
        mux: &gst::Element,
    ) -> Result<gst::Element, String> {
        let silence = make("audiotestsrc")?;
        silence.set_property("is-live", true);
        silence.set_property_from_str("wave", "silence");
        let silence_caps = caps_filter(raw_audio())?;
        add_chain(pipeline, &[silence, silence_caps.clone()])?;
        let mixer = make("audiomixer")?;
        mixer.set_property("latency", MIX_LATENCY_NS);
        // A DTX microphone sends one 20 ms frame every few hundred milliseconds while
        // quiet. By default the mixer places a stream's frames end to end for up to a
        // second before it believes their timestamps, which squeezes those silences out
        // and shifts the next words; taking every timestamp at once keeps them in time.
        mixer.set_property("discont-wait", 0u64);
        let encoder = if with_video {
            let e = make("avenc_aac")?;
            e.set_property("bitrate", 128_000i32);
            e
        } else {
            make("opusenc")?
        };
        let queue = make("queue")?;
        add_chain(
            pipeline,
            &[
                mixer.clone(),
                make("audioconvert")?,
                make("audioresample")?,
                encoder,
                queue.clone(),
            ],
        )?;
        link_to_mux(&queue, mux, Kind::Audio)?;
        let pad = mixer
            .request_pad_simple("sink_%u")
            .ok_or("audiomixer refused a pad")?;
        link_to(&silence_caps, &pad)?;
        Ok(mixer)
    }

    /// Decodes a new stream into the mix and re-lays the videos; returns its ports.
    pub fn add(&mut self, spec: &StreamSpec) -> Result<(Option<u16>, Option<u16>), String> {
        let mut tracks = Vec::new();
        let kinds = [
            (Kind::Audio, &spec.audio, self.audio.clone()),
            (
                Kind::Video,
                &spec.video,
                self.video.as_ref().map(|v| v.compositor.clone()),
            ),
        ];
        for (kind, codec, mixer) in kinds {
            let (Some(codec), Some(mixer)) = (codec, mixer) else {
                continue;
            };
            match self.add_track(kind, codec, &spec.stream_id, &mixer) {
                Ok(t) => tracks.push(t),
                Err(e) => eprintln!("{}: its {kind:?} is left out: {e}", spec.stream_id),
            }
        }
        let port = |k: Kind| {
            tracks
                .iter()
                .find(|t: &&BranchTrack| t.kind == k)
                .map(|t| t.input.input.port())
        };
        let ports = (port(Kind::Audio), port(Kind::Video));
        self.branches.push(Branch {
            stream_id: spec.stream_id.clone(),
            screen: spec.type_of_video.as_deref() == Some("SCREEN"),
            tracks,
        });
        self.relayout();
        Ok(ports)
    }

    fn add_track(
        &self,
        kind: Kind,
        codec: &ov_protocol::recorder::TrackCodec,
        stream_id: &str,
        mixer: &gst::Element,
    ) -> Result<BranchTrack, String> {
        let input = TrackIn::new(kind, codec, stream_id, &self.tx)?;
        let mut elements = input.elements.clone();
        elements.push(make(input.codec.decoder())?);
        match kind {
            Kind::Video => elements.push(make("videoconvert")?),
            Kind::Audio => {
                elements.push(make("audioconvert")?);
                elements.push(make("audioresample")?);
                elements.push(caps_filter(raw_audio())?);
            }
        }
        elements.push(make("queue")?);
        add_chain(&self.pipeline, &elements)?;
        let pad = mixer
            .request_pad_simple("sink_%u")
            .ok_or("the mixer refused a pad")?;
        if kind == Kind::Video {
            pad.set_property("zorder", 1u32);
            pad.set_property_from_str("sizing-policy", "keep-aspect-ratio");
            // Off the frame until the layout places it.
            pad.set_property("width", 0i32);
        }
        link_to(elements.last().expect("not empty"), &pad)?;
        for e in elements.iter().rev() {
            e.sync_state_with_parent().map_err(|e| e.to_string())?;
        }
        Ok(BranchTrack {
            kind,
            input,
            elements,
            pad,
        })
    }

    /// Takes a stream out of the mix; whether it was in it.
    pub fn remove(&mut self, stream_id: &str) -> bool {
        let Some(i) = self.branches.iter().position(|b| b.stream_id == stream_id) else {
            return false;
        };
        let branch = self.branches.remove(i);
        for t in branch.tracks {
            self.remove_track(t);
        }
        self.relayout();
        true
    }

    /// Blocks the branch's last pad when no buffer is in flight, then releases its mixer
    /// pad and stops its elements: a mixer never waits on a pad that is going away.
    fn remove_track(&self, mut t: BranchTrack) {
        t.input.input.stop();
        let last = t
            .elements
            .last()
            .expect("not empty")
            .static_pad("src")
            .expect("queue src");
        let (blocked_tx, blocked) = mpsc::channel();
        last.add_probe(gst::PadProbeType::IDLE, move |_, _| {
            let _ = blocked_tx.send(());
            gst::PadProbeReturn::Ok
        });
        if blocked.recv_timeout(Duration::from_secs(2)).is_err() {
            eprintln!("a branch did not go idle; releasing it anyway");
        }
        let _ = last.unlink(&t.pad);
        if let Some(mixer) = t.pad.parent_element() {
            mixer.release_request_pad(&t.pad);
        }
        for e in &t.elements {
            let _ = e.set_state(gst::State::Null);
        }
        let _ = self.pipeline.remove_many(&t.elements);
    }

    fn relayout(&self) {
        if self.video.is_none() {
            return;
        }
        let tiles: Vec<(bool, &gst::Pad)> = self
            .branches
            .iter()
            .filter_map(|b| {
                Some((
                    b.screen,
                    &b.tracks.iter().find(|t| t.kind == Kind::Video)?.pad,
                ))
            })
            .collect();
        let screens: Vec<bool> = tiles.iter().map(|t| t.0).collect();
        let rects =
            self.spec
                .layout
                .place(&screens, self.spec.width as i32, self.spec.height as i32);
        for ((_, pad), r) in tiles.iter().zip(rects) {
            pad.set_property("xpos", r.x);
            pad.set_property("ypos", r.y);
            pad.set_property("width", r.width);
            pad.set_property("height", r.height);
        }
    }

    /// Called about once a second: keeps a frame with someone in it for the thumbnail.
    pub fn tick(&mut self) {
        let Some(video) = &self.video else { return };
        if self.branches.iter().any(|b| {
            b.tracks
                .iter()
                .any(|t| t.kind == Kind::Video && t.input.input.received())
        }) && let Some(sample) = video.frames.property::<Option<gst::Sample>>("last-sample")
        {
            self.thumbnail = Some(sample);
        }
    }

    pub fn recalculate_latency(&self) {
        let _ = self.pipeline.recalculate_latency();
    }

    /// The ids of the streams still in the mix.
    pub fn stream_ids(&self) -> Vec<String> {
        self.branches.iter().map(|b| b.stream_id.clone()).collect()
    }

    /// Closes the file (the muxer writes its last fragment), writes the thumbnail, and
    /// reads the file back as a player would for its duration.
    pub fn finish(mut self) -> ComposedFile {
        self.tick();
        // Every input ends with the pipeline, so the last frames still show everyone.
        for t in self.branches.iter_mut().flat_map(|b| &mut b.tracks) {
            t.input.input.stop();
        }
        if !finish(&self.pipeline, &self.eos, &[]) {
            eprintln!(
                "the composed file was closed without its last fragment (end of stream timed out)"
            );
        }
        if let (Some(path), Some(sample)) = (
            &self.spec.thumbnail,
            self.thumbnail.take().or_else(|| {
                self.video
                    .as_ref()?
                    .frames
                    .property::<Option<gst::Sample>>("last-sample")
            }),
        ) && let Err(e) = write_jpeg(&sample, path)
        {
            eprintln!("no thumbnail: {e}");
        }
        ComposedFile {
            size: std::fs::metadata(&self.path).map_or(0, |m| m.len()),
            duration: duration_of(&self.path).unwrap_or(0.0),
            file: Some(self.file.clone()),
            has_audio: self.spec.has_audio,
            has_video: self.spec.has_video,
            width: self.spec.has_video.then_some(self.spec.width),
            height: self.spec.has_video.then_some(self.spec.height),
            frame_rate: self.spec.has_video.then_some(self.spec.frame_rate),
        }
    }
}

/// Links the end of a mix to the muxer. MP4 takes no buffer without a presentation time
/// (qtmux fails the whole file on one); an encoder under heavy load now and then emits
/// one, so such a buffer is dropped on the way in.
fn link_to_mux(from: &gst::Element, mux: &gst::Element, kind: Kind) -> Result<(), String> {
    let template = if kind == Kind::Video {
        "video_%u"
    } else {
        "audio_%u"
    };
    from.link_pads(None, mux, Some(template))
        .map_err(|e| format!("cannot link the {kind:?} to the muxer: {e}"))?;
    let pad = from.static_pad("src").ok_or("element without src pad")?;
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        match info.buffer() {
            Some(b) if b.pts().is_none() => {
                eprintln!("dropped a {kind:?} buffer without a timestamp before the muxer");
                gst::PadProbeReturn::Drop
            }
            _ => gst::PadProbeReturn::Ok,
        }
    });
    Ok(())
}

fn write_jpeg(sample: &gst::Sample, path: &std::path::Path) -> Result<(), String> {
    let jpeg = gstreamer_video::convert_sample(
        sample,
        &gst::Caps::builder("image/jpeg").build(),
        gst::ClockTime::from_seconds(5),
    )
    .map_err(|e| e.to_string())?;
    let buffer = jpeg.buffer().ok_or("an empty JPEG")?;
    let map = buffer.map_readable().map_err(|e| e.to_string())?;
    std::fs::write(path, map.as_slice())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The duration of a media file as a player reads it, in seconds.
pub fn duration_of(path: &std::path::Path) -> Option<f64> {
    let uri = gst::glib::filename_to_uri(path, None).ok()?;
    let discoverer = gstreamer_pbutils::Discoverer::new(gst::ClockTime::from_seconds(5)).ok()?;
    let info = discoverer.discover_uri(&uri).ok()?;
    Some(info.duration()?.nseconds() as f64 / 1e9)
}
