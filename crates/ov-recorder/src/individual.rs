//! INDIVIDUAL: each stream in its own pipeline and file, without transcoding. VP8/VP9
//! with Opus go to WebM, H.264 to Matroska, both written cluster by cluster.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Sender;

use gstreamer as gst;
use gstreamer::prelude::*;
use ov_protocol::recorder::{StreamFile, TrackCodec};

use crate::pipeline::{EosFlag, TrackIn, add_chain, file_sink, finish, make, watch_bus};
use crate::run::{Input, StreamSpec};
use crate::track::{Codec, Kind};

/// Matroska clusters close at least this often (ns), so a crash loses at most about this.
const CLUSTER_NS: i64 = 1_000_000_000;

/// One stream being written to its file.
pub struct StreamRecording {
    pub stream_id: String,
    pub key: u64,
    file: String,
    path: PathBuf,
    pipeline: gst::Pipeline,
    eos: Arc<EosFlag>,
    tracks: Vec<(Kind, TrackIn)>,
}

impl StreamRecording {
    pub fn start(
        key: u64,
        dir: &Path,
        spec: &StreamSpec,
        tx: &Sender<Input>,
    ) -> Result<StreamRecording, String> {
        let file = spec.file.clone().ok_or("addStream without a file name")?;
        if file.contains('/') || file.starts_with('.') {
            return Err(format!("unsafe file name {file:?}"));
        }
        let path = dir.join(&file);
        let pipeline = gst::Pipeline::with_name(&format!("stream-{key}"));
        let tracks: Vec<(Kind, TrackIn)> = [(Kind::Audio, &spec.audio), (Kind::Video, &spec.video)]
            .into_iter()
            .filter_map(|(kind, t): (Kind, &Option<TrackCodec>)| Some((kind, t.as_ref()?)))
            .filter_map(
                |(kind, t)| match TrackIn::new(kind, t, &spec.stream_id, tx) {
                    Ok(track) => Some((kind, track)),
                    Err(e) => {
                        eprintln!("{}: its {kind:?} is left out: {e}", spec.stream_id);
                        None
                    }
                },
            )
            .collect();
        if tracks.is_empty() {
            return Err("a stream with neither audio nor video that can be recorded".into());
        }
        let webm = tracks.iter().all(|(_, t)| t.codec != Codec::H264);
        let mux = make(if webm { "webmmux" } else { "matroskamux" })?;
        mux.set_property("max-cluster-duration", CLUSTER_NS);
        mux.set_property("min-cluster-duration", CLUSTER_NS / 2);
        let sink = file_sink(&path)?;
        add_chain(&pipeline, &[mux.clone(), sink])?;
        for (kind, t) in &tracks {
            let queue = make("queue")?;
            let mut chain = t.elements.clone();
            chain.push(queue.clone());
            add_chain(&pipeline, &chain)?;
            let pad = mux
                .request_pad_simple(if *kind == Kind::Audio {
                    "audio_%u"
                } else {
                    "video_%u"
                })
                .ok_or("the muxer refused a track")?;
            queue
                .static_pad("src")
                .ok_or("queue without src")?
                .link(&pad)
                .map_err(|e| format!("cannot link a track to the muxer: {e:?}"))?;
        }
        let eos = watch_bus(&pipeline, key, tx.clone());
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| format!("the pipeline of {} did not start", spec.stream_id))?;
        Ok(StreamRecording {
            stream_id: spec.stream_id.clone(),
            key,
            file,
            path,
            pipeline,
            eos,
            tracks,
        })
    }

    pub fn ports(&self) -> (Option<u16>, Option<u16>) {
        let port = |k: Kind| {
            self.tracks
                .iter()
                .find(|(kind, _)| *kind == k)
                .map(|(_, t)| t.input.port())
        };
        (port(Kind::Audio), port(Kind::Video))
    }

    /// Ends the file (its muxer writes the index and duration) and says what it holds.
    pub fn finish(mut self) -> StreamFile {
        let mut times = Vec::new();
        let (mut has_audio, mut has_video) = (false, false);
        for (kind, t) in &mut self.tracks {
            let got = t.input.received();
            match kind {
                Kind::Audio => has_audio |= got,
                Kind::Video => has_video |= got,
            }
            let (first, last) = t.input.stop();
            if first != 0 {
                times.push((first, last));
            }
        }
        let sources: Vec<_> = self.tracks.iter().map(|(_, t)| t.appsrc.clone()).collect();
        if !finish(&self.pipeline, &self.eos, &sources) {
            eprintln!(
                "{}: the file was closed without its index (end of stream timed out)",
                self.stream_id
            );
        }
        StreamFile {
            stream_id: self.stream_id.clone(),
            size: std::fs::metadata(&self.path).map_or(0, |m| m.len()),
            file: Some(self.file.clone()),
            start_time: times.iter().map(|t| t.0).min().unwrap_or(0),
            end_time: times.iter().map(|t| t.1).max().unwrap_or(0),
            has_audio,
            has_video,
        }
    }
}
