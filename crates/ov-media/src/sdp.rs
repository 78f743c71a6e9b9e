//! The few facts the engine reads from a browser's SDP offer before str0m digests it:
//! which media lines (by `mid`) send audio or video to us.

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

#[cfg(test)]
mod tests {
    use super::*;

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
    use super::*;
    use proptest::prelude::*;

    fn sdp_like() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            Just("m=audio 9 UDP/TLS/RTP/SAVPF 111".to_owned()),
            Just("m=video 0 UDP/TLS/RTP/SAVPF 96".to_owned()),
            Just("m=video 9 x".to_owned()),
            Just("m=".to_owned()),
            Just("a=sendonly".to_owned()),
            Just("a=recvonly".to_owned()),
            Just("a=inactive".to_owned()),
            "a=mid:[a-z0-9]{0,4}",
            "[ -~]{0,30}",
        ];
        prop::collection::vec(line, 0..20).prop_map(|lines| lines.join("\r\n"))
    }

    proptest! {
        #[test]
        fn never_panics_and_only_names_sending_lines(sdp in sdp_like(), noise in "\\PC{0,200}") {
            for text in [&sdp, &noise] {
                for (mid, _) in sending_media(text) {
                    let line = format!("a=mid:{mid}");
                    prop_assert!(text.contains(&line));
                }
            }
        }
    }
}
