//! Synthetic media of one publisher: when each frame is due and what it contains. No
//! encoder: the server forwards bytes without decoding them, so only the sizes, the rates
//! and the VP8 keyframe marker matter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ov_testkit::frames::{opus_frame, vp8_frame};
use str0m::media::{Frequency, MediaTime};

/// One Opus frame every 20 ms, as browsers send.
pub const AUDIO_PERIOD: Duration = Duration::from_millis(20);
/// A keyframe this often, besides those requested (a browser sends one on request only,
/// but a periodic one bounds how long a subscriber whose request was lost waits).
pub const KEYFRAME_INTERVAL: Duration = Duration::from_secs(2);
/// A sender that falls further behind than this skips frames instead of bursting them.
const MAX_LAG: Duration = Duration::from_millis(100);
/// RTP ticks of one Opus frame (48 kHz × 20 ms).
const AUDIO_TICKS: u64 = 960;

/// A frame to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// An Opus frame.
    Audio {
        /// RTP time (48 kHz).
        rtp_time: MediaTime,
        /// Payload.
        data: Arc<[u8]>,
    },
    /// A VP8 frame.
    Video {
        /// RTP time (90 kHz).
        rtp_time: MediaTime,
        /// Payload: the first byte's bit 0 is VP8's "inter frame" flag.
        data: Arc<[u8]>,
        /// Whether it is a keyframe.
        key: bool,
    },
}

/// Bytes of each video frame so that `fps` frames make `kbps` kbit/s.
pub fn video_frame_bytes(kbps: u32, fps: u32) -> usize {
    (u64::from(kbps) * 125 / u64::from(fps.max(1))).max(2) as usize
}

/// The frame schedule of one publisher.
pub struct Source {
    start: Instant,
    fps: u32,
    audio_sent: u64,
    video_sent: u64,
    /// Frame index of the next periodic keyframe.
    next_periodic_key: u64,
    key_every: u64,
    key_requested: bool,
    audio: Arc<[u8]>,
    key: Arc<[u8]>,
    delta: Arc<[u8]>,
}

impl Source {
    /// A source starting at `start`. The payloads are built once and shared by every
    /// frame (str0m takes `Arc<[u8]>`), so producing a frame allocates nothing.
    pub fn new(start: Instant, fps: u32, video_kbps: u32) -> Source {
        let size = video_frame_bytes(video_kbps, fps);
        let (key, delta) = (vp8_frame(true, size), vp8_frame(false, size));
        Source {
            start,
            fps,
            audio_sent: 0,
            video_sent: 0,
            next_periodic_key: 0,
            key_every: (KEYFRAME_INTERVAL.as_secs_f64() * f64::from(fps))
                .round()
                .max(1.0) as u64,
            key_requested: false,
            audio: opus_frame().into(),
            key: key.into(),
            delta: delta.into(),
        }
    }

    /// The next video frame is a keyframe (the server or a subscriber asked for one).
    pub fn request_keyframe(&mut self) {
        self.key_requested = true;
    }

    fn audio_due(&self) -> Instant {
        self.start + AUDIO_PERIOD * self.audio_sent as u32
    }

    fn video_due(&self) -> Instant {
        self.start + frame_offset(self.video_sent, self.fps)
    }

    /// When the next frame is due.
    pub fn next_due(&self) -> Instant {
        self.audio_due().min(self.video_due())
    }

    /// The next frame due at `now`, if any; call until `None`.
    pub fn poll(&mut self, now: Instant) -> Option<Frame> {
        self.skip_lag(now);
        if self.audio_due() <= now {
            let rtp_time =
                MediaTime::new(self.audio_sent * AUDIO_TICKS, Frequency::FORTY_EIGHT_KHZ);
            self.audio_sent += 1;
            return Some(Frame::Audio {
                rtp_time,
                data: self.audio.clone(),
            });
        }
        if self.video_due() <= now {
            let ticks = self.video_sent * 90_000 / u64::from(self.fps);
            let rtp_time = MediaTime::new(ticks, Frequency::NINETY_KHZ);
            let key = self.key_requested || self.video_sent >= self.next_periodic_key;
            if key {
                self.key_requested = false;
                self.next_periodic_key = self.video_sent + self.key_every;
            }
            self.video_sent += 1;
            let data = if key { &self.key } else { &self.delta }.clone();
            return Some(Frame::Video {
                rtp_time,
                data,
                key,
            });
        }
        None
    }

    /// A task that slept too long drops what it missed rather than flooding the server.
    fn skip_lag(&mut self, now: Instant) {
        let Some(behind) = now.checked_duration_since(self.start) else {
            return;
        };
        if now.saturating_duration_since(self.audio_due()) > MAX_LAG {
            self.audio_sent = (behind.as_nanos() / AUDIO_PERIOD.as_nanos()) as u64;
        }
        if now.saturating_duration_since(self.video_due()) > MAX_LAG {
            self.video_sent = (behind.as_nanos() * u128::from(self.fps) / 1_000_000_000) as u64;
        }
    }
}

/// Time of video frame `index` from the start, exact for any frame rate.
fn frame_offset(index: u64, fps: u32) -> Duration {
    Duration::from_nanos((u128::from(index) * 1_000_000_000 / u128::from(fps)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(s: &mut Source, now: Instant) -> Vec<Frame> {
        std::iter::from_fn(|| s.poll(now)).collect()
    }

    #[test]
    fn frame_sizes_match_the_bitrate() {
        assert_eq!(video_frame_bytes(300, 15), 2500);
        assert_eq!(video_frame_bytes(1000, 30), 4166);
        assert_eq!(video_frame_bytes(1, 120), 2);
    }

    #[test]
    fn one_second_has_fifty_audio_and_fps_video_frames() {
        let t0 = Instant::now();
        let mut s = Source::new(t0, 15, 300);
        let mut audio = 0;
        let mut video = Vec::new();
        let mut now = t0;
        while now < t0 + Duration::from_secs(1) {
            for f in drain(&mut s, now) {
                match f {
                    Frame::Audio { data, .. } => {
                        assert_eq!(data.len(), ov_testkit::frames::OPUS_FRAME_BYTES);
                        audio += 1;
                    }
                    Frame::Video {
                        data,
                        key,
                        rtp_time,
                    } => {
                        assert_eq!(data.len(), 2500);
                        assert_eq!(data[0] & 1 == 0, key);
                        video.push((key, rtp_time.numer()));
                    }
                }
            }
            now += Duration::from_millis(5);
            assert!(s.next_due() <= now + Duration::from_millis(67));
        }
        assert_eq!(audio, 50);
        assert_eq!(video.len(), 15);
        assert_eq!(video[1].1, 6000, "90 kHz ticks at 15 fps");
        assert!(video[0].0, "the first frame is a keyframe");
        assert!(video[1..].iter().all(|(k, _)| !k));
    }

    #[test]
    fn keyframes_every_two_seconds_and_on_request() {
        let t0 = Instant::now();
        let mut s = Source::new(t0, 10, 100);
        let mut keys = Vec::new();
        for i in 0..50u64 {
            let now = t0 + Duration::from_millis(100 * i);
            if i == 7 {
                s.request_keyframe();
            }
            for f in drain(&mut s, now) {
                if let Frame::Video { key: true, .. } = f {
                    keys.push(i);
                }
            }
        }
        // Periodic every 20 frames, restarted by the requested one at frame 7.
        assert_eq!(keys, vec![0, 7, 27, 47]);
    }

    #[test]
    fn a_late_sender_skips_instead_of_bursting() {
        let t0 = Instant::now();
        let mut s = Source::new(t0, 15, 300);
        assert_eq!(drain(&mut s, t0).len(), 2);
        let late = t0 + Duration::from_secs(3);
        let burst = drain(&mut s, late);
        assert!(burst.len() <= 2, "{} frames", burst.len());
        assert!(s.next_due() > late);
    }
}
