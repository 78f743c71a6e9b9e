//! What GStreamer needs to read one recorded track: the RTP caps of its codec, the
//! depayloader (and parser) that turns it into frames, and the decoder for COMPOSED.

use ov_protocol::recorder::TrackCodec;

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Audio,
    Video,
}

/// The codecs the recorder takes, as GStreamer names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Opus,
    Vp8,
    Vp9,
    H264,
}

impl Codec {
    /// The codec of a track, or why it cannot be recorded.
    pub fn of(kind: Kind, track: &TrackCodec) -> Result<Codec, String> {
        let codec = match track.codec.to_ascii_uppercase().as_str() {
            "OPUS" => Codec::Opus,
            "VP8" => Codec::Vp8,
            "VP9" => Codec::Vp9,
            "H264" => Codec::H264,
            other => {
                return Err(format!(
                    "codec {other} cannot be recorded (Opus, VP8, VP9 and H.264 can)"
                ));
            }
        };
        if codec.kind() != kind {
            return Err(format!("{} is not a codec of {kind:?}", track.codec));
        }
        Ok(codec)
    }

    pub fn kind(self) -> Kind {
        match self {
            Codec::Opus => Kind::Audio,
            _ => Kind::Video,
        }
    }

    /// The `encoding-name` of its RTP caps.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Opus => "OPUS",
            Codec::Vp8 => "VP8",
            Codec::Vp9 => "VP9",
            Codec::H264 => "H264",
        }
    }

    /// Elements from RTP to encoded frames a muxer takes.
    pub fn depayloaders(self) -> &'static [&'static str] {
        match self {
            Codec::Opus => &["rtpopusdepay", "opusparse"],
            Codec::Vp8 => &["rtpvp8depay"],
            Codec::Vp9 => &["rtpvp9depay"],
            Codec::H264 => &["rtph264depay", "h264parse"],
        }
    }

    /// The decoder of its frames.
    pub fn decoder(self) -> &'static str {
        match self {
            Codec::Opus => "opusdec",
            Codec::Vp8 => "vp8dec",
            Codec::Vp9 => "vp9dec",
            Codec::H264 => "avdec_h264",
        }
    }
}

/// The caps of the RTP a track's socket receives.
pub fn rtp_caps(codec: Codec, track: &TrackCodec) -> gstreamer::Caps {
    let media = match codec.kind() {
        Kind::Audio => "audio",
        Kind::Video => "video",
    };
    gstreamer::Caps::builder("application/x-rtp")
        .field("media", media)
        .field("encoding-name", codec.encoding_name())
        .field("clock-rate", track.clock_rate as i32)
        .field("payload", i32::from(track.payload_type))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(codec: &str) -> TrackCodec {
        TrackCodec {
            codec: codec.into(),
            payload_type: 96,
            clock_rate: 90_000,
            channels: None,
        }
    }

    #[test]
    fn codecs_are_read_whatever_their_case_and_checked_against_the_kind() {
        assert_eq!(Codec::of(Kind::Audio, &track("opus")), Ok(Codec::Opus));
        assert_eq!(Codec::of(Kind::Video, &track("VP8")), Ok(Codec::Vp8));
        assert_eq!(Codec::of(Kind::Video, &track("h264")), Ok(Codec::H264));
        assert!(Codec::of(Kind::Audio, &track("VP9")).is_err());
        let av1 = Codec::of(Kind::Video, &track("AV1")).unwrap_err();
        assert!(av1.contains("AV1 cannot be recorded"), "{av1}");
    }

    #[test]
    fn rtp_caps_carry_what_the_jitter_buffer_needs() {
        gstreamer::init().unwrap();
        let caps = rtp_caps(Codec::Vp8, &track("VP8"));
        let s = caps.structure(0).unwrap();
        assert_eq!(s.get::<i32>("clock-rate").unwrap(), 90_000);
        assert_eq!(s.get::<i32>("payload").unwrap(), 96);
        assert_eq!(s.get::<&str>("encoding-name").unwrap(), "VP8");
    }
}
