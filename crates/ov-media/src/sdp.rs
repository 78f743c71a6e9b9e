//! The few facts the engine reads from a browser's SDP offer before str0m digests it:
//! which media lines (by `mid`) send audio or video to us, and whether the offer describes
//! payload types where it must not (which makes str0m 0.25 panic).

use crate::peer::MediaKind;

/// `(mid, kind)` of every audio/video media line of `sdp` that sends media (`sendonly` or
/// `sendrecv`, the default when no direction is written), in order.
pub fn sending_media(sdp: &str) -> Vec<(String, MediaKind)> {
    let mut found = Vec::new();
    let mut current: Option<(Option<MediaKind>, Option<String>, bool)> = None;
    let mut flush = |section: Option<(Option<MediaKind>, Option<String>, bool)>| {
        if let Some((Some(kind), Some(mid), true)) = section {
            found.push((mid, kind));
        }
    };
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            flush(current.take());
            let kind = match m.split(' ').next() {
                Some("audio") => Some(MediaKind::Audio),
                Some("video") => Some(MediaKind::Video),
                _ => None,
            };
            // A port of 0 marks a rejected/stopped line.
            let active = m.split(' ').nth(1).is_some_and(|port| port != "0");
            current = Some((kind, None, active));
        } else if let Some((_, mid, active)) = current.as_mut() {
            if let Some(v) = line.strip_prefix("a=mid:") {
                *mid = Some(v.to_owned());
            } else if line == "a=recvonly" || line == "a=inactive" {
                *active = false;
            }
        }
    }
    flush(current);
    found
}

/// Whether a video section of `sdp` lists a payload type of the codec named `name` (its
/// `a=rtpmap` encoding name, compared without case, as SDP asks).
pub fn offers_video_codec(sdp: &str, name: &str) -> bool {
    let mut formats: Option<Vec<&str>> = None;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            let mut words = m.split(' ');
            formats = (words.next() == Some("video")).then(|| words.skip(2).collect());
            continue;
        }
        let (Some(formats), Some(map)) = (&formats, line.strip_prefix("a=rtpmap:")) else {
            continue;
        };
        let mut words = map.split([' ', '/']);
        if let (Some(pt), Some(encoding)) = (words.next(), words.next())
            && formats.contains(&pt)
            && encoding.eq_ignore_ascii_case(name)
        {
            return true;
        }
    }
    false
}

/// The first payload type of `sdp` that an `a=rtpmap`, `a=fmtp` or `a=rtcp-fb` line
/// describes in a media section whose `m=` line does not list it, with that section's
/// media. A browser never writes one; str0m 0.25 asserts, and panics, on some offers that
/// do (its payload type bookkeeping claims the type once for each section describing it:
/// found by the `sdp` fuzz target, `tests/hostile_sdp.rs`).
pub fn foreign_payload_type(sdp: &str) -> Option<(String, String)> {
    let mut listed: Option<(&str, Vec<&str>)> = None;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            let mut words = m.split(' ');
            let media = words.next().unwrap_or_default();
            // m=<media> <port> <proto> <fmt>...
            listed = Some((media, words.skip(2).collect()));
            continue;
        }
        let Some((media, formats)) = &listed else {
            continue;
        };
        let described = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
            .iter()
            .find_map(|prefix| line.strip_prefix(prefix))
            .and_then(|rest| rest.split([' ', '\t']).next());
        if let Some(pt) = described
            && pt != "*"
            && !formats.contains(&pt)
        {
            return Some((
                pt.chars().take(16).collect(),
                media.chars().take(16).collect(),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_payload_types_described_outside_their_line() {
        let ok = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\na=rtpmap:111 opus/48000/2\r\n\
                  a=rtcp-fb:111 transport-cc\r\na=fmtp:63 111/111\r\n\
                  m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n\
                  a=rtcp-fb:* nack\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n";
        assert_eq!(foreign_payload_type(ok), None);
        let foreign = ok.replace("a=fmtp:63 111/111", "a=rtpmap:96 VP8/90000");
        assert_eq!(
            foreign_payload_type(&foreign),
            Some(("96".into(), "audio".into()))
        );
        // Before any m= line, attributes belong to the session: not looked at.
        assert_eq!(
            foreign_payload_type("v=0\r\na=rtpmap:96 VP8/90000\r\n"),
            None
        );
        assert_eq!(foreign_payload_type("garbage"), None);
    }

    #[test]
    fn finds_a_video_codec_by_its_encoding_name() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\na=rtpmap:96 VP8/90000\r\n\
                   a=rtpmap:97 rtx/90000\r\na=rtpmap:98 h264/90000\r\na=rtpmap:99 AV1/90000\r\n";
        assert!(offers_video_codec(sdp, "VP8"));
        assert!(
            offers_video_codec(sdp, "H264"),
            "names compare without case"
        );
        assert!(!offers_video_codec(sdp, "VP9"));
        assert!(!offers_video_codec(sdp, "AV1"), "99 is not on the m= line");
        assert!(
            !offers_video_codec(sdp, "opus"),
            "audio sections do not count"
        );
        assert!(!offers_video_codec("garbage", "VP8"));
    }

    #[test]
    fn finds_sending_lines() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendrecv\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=recvonly\r\n\
                   m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:3\r\n\
                   m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:4\r\n";
        assert_eq!(
            sending_media(sdp),
            vec![
                ("0".into(), MediaKind::Audio),
                ("1".into(), MediaKind::Video)
            ]
        );
        assert!(sending_media("garbage").is_empty());
    }
}

#[cfg(test)]
mod properties {
    //! `sending_media` against a model: structured SDP sections rendered the way real
    //! offers vary (line endings, trailing spaces, attribute order, near-miss lines), and
    //! the expected list computed from the structure, not from the text.

    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    /// One media section of the model.
    #[derive(Debug, Clone)]
    struct Section {
        /// The media token of the `m=` line.
        media: &'static str,
        port: u16,
        mid: Option<String>,
        direction: Option<&'static str>,
        /// Other lines of the section, none of which names a mid or a direction.
        others: Vec<String>,
        /// Where the mid and the direction lines go among `others`.
        mid_at: Index,
        direction_at: Index,
    }

    impl Section {
        /// What `sending_media` must report for this section.
        fn expected(&self) -> Option<(String, MediaKind)> {
            let kind = match self.media {
                "audio" => MediaKind::Audio,
                "video" => MediaKind::Video,
                _ => return None,
            };
            if self.port == 0 || matches!(self.direction, Some("recvonly" | "inactive")) {
                return None;
            }
            self.mid.clone().map(|mid| (mid, kind))
        }

        fn lines(&self) -> Vec<String> {
            let mut lines = self.others.clone();
            if let Some(d) = self.direction {
                lines.insert(self.direction_at.index(lines.len() + 1), format!("a={d}"));
            }
            if let Some(mid) = &self.mid {
                lines.insert(self.mid_at.index(lines.len() + 1), format!("a=mid:{mid}"));
            }
            lines.insert(
                0,
                format!("m={} {} UDP/TLS/RTP/SAVPF 96", self.media, self.port),
            );
            lines
        }
    }

    fn section() -> impl Strategy<Value = Section> {
        let media = prop::sample::select(vec!["audio", "video", "application", "text", "audiox"]);
        let direction = prop::sample::select(vec![
            None,
            Some("sendonly"),
            Some("sendrecv"),
            Some("recvonly"),
            Some("inactive"),
        ]);
        let other = prop_oneof![
            one_of(&[
                "a=rtpmap:96 VP8/90000",
                "c=IN IP4 0.0.0.0",
                "a=rtcp-mux",
                "a=ice-ufrag:abcd",
                "a=msid:- track",
                "b=AS:300",
                // Near misses that name no mid and no direction.
                "a=mid",
                "a=midx:7",
                "a=recvonlyx",
                "a=inactive:1",
                "a=extmap:1 m=audio 0",
            ]),
            "a=[a-z]{1,8}:[ -~]{0,20}".prop_filter("not a mid", |l| !l.starts_with("a=mid:")),
        ];
        (
            media,
            prop::sample::select(vec![0u16, 9, 50_000]),
            proptest::option::of("[a-zA-Z0-9_-]{1,6}"),
            direction,
            prop::collection::vec(other, 0..6),
            any::<Index>(),
            any::<Index>(),
        )
            .prop_map(
                |(media, port, mid, direction, others, mid_at, direction_at)| Section {
                    media,
                    port,
                    mid,
                    direction,
                    others,
                    mid_at,
                    direction_at,
                },
            )
    }

    /// The model as text: session lines, then the sections; each line ends in `\r\n` or
    /// `\n`, maybe after trailing blanks; the last line may have no ending at all.
    fn render(sections: &[Section], endings: &[(bool, &str)], final_newline: bool) -> String {
        let session = [
            "v=0",
            "o=- 1 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0 1",
        ];
        let lines: Vec<String> = session
            .iter()
            .map(|l| l.to_string())
            .chain(sections.iter().flat_map(Section::lines))
            .collect();
        let mut text = String::new();
        for (i, line) in lines.iter().enumerate() {
            let (crlf, blanks) = endings[i % endings.len()];
            text.push_str(line);
            text.push_str(blanks);
            if i + 1 < lines.len() || final_newline {
                text.push_str(if crlf { "\r\n" } else { "\n" });
            }
        }
        text
    }

    /// Any one of `lines`, as a `String`.
    fn one_of(lines: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop::sample::select(lines).prop_map(str::to_owned)
    }

    /// Text with line breaks and SDP fragments in any order, valid or not.
    fn sdp_fragments() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            one_of(&[
                "m=",
                "m=audio 9 ",
                "m=video 0 ",
                "a=mid:",
                "a=sendonly",
                "a=recvonly",
                "a=inactive",
                "\r\n",
                "\n",
                "\r",
                " ",
                "\t",
                ":",
            ]),
            "\\PC{0,12}",
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn reports_exactly_the_sending_audio_and_video_lines(
            sections in prop::collection::vec(section(), 0..6),
            endings in prop::collection::vec(
                (any::<bool>(), prop::sample::select(vec!["", " ", "  ", "\t"])),
                1..6,
            ),
            final_newline in any::<bool>(),
        ) {
            let text = render(&sections, &endings, final_newline);
            let expected: Vec<(String, MediaKind)> =
                sections.iter().filter_map(Section::expected).collect();
            prop_assert_eq!(sending_media(&text), expected, "{:?}", text);
        }

        #[test]
        fn never_panics_on_arbitrary_text(text in sdp_fragments()) {
            let found = sending_media(&text);
            // At most one entry per media line, and a mid never spans a line break or
            // keeps the line's trailing blanks.
            prop_assert!(found.len() <= text.matches("m=").count());
            for (mid, _) in &found {
                prop_assert!(!mid.contains('\n') && mid.trim_end() == mid, "{:?}", mid);
            }
        }
    }
}
