//! Error messages about a client's SDP that a developer can act on.
//!
//! str0m's parser reports where it stopped as `Parse error at PointerOffset(0x7f…)`: a
//! heap address, which means nothing to a client and must not leak to it. The address is
//! turned back into the line it points into; the parser's own explanation is kept.

/// A one-line description of why `sdp` did not parse, from the parser's `message`.
pub fn describe(sdp: &str, message: &str) -> String {
    let mut place = None;
    let mut reasons = Vec::new();
    for line in message.lines().map(str::trim) {
        if line.is_empty() || line == "sdp line" {
            continue;
        }
        if let Some(address) = pointer_offset(line) {
            place = line_at(sdp, address);
            if let Some(rest) = line.split_once(')').map(|(_, r)| r.trim())
                && !rest.is_empty()
            {
                reasons.push(rest.to_owned());
            }
            continue;
        }
        reasons.push(strip_addresses(line));
    }
    let reasons = if reasons.is_empty() {
        "not a valid SDP".to_owned()
    } else {
        escape_controls(&reasons.join("; "))
    };
    match place {
        Some((number, text)) => format!("line {number} ({}): {reasons}", excerpt(text)),
        None => reasons,
    }
}

/// Removes any `PointerOffset(…)` from a message that is not a parse position.
pub fn strip_addresses(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("PointerOffset(") {
        out.push_str(&rest[..start]);
        rest = rest[start..].split_once(')').map_or("", |(_, r)| r);
        out.push_str("<position>");
    }
    out.push_str(rest);
    out
}

/// The address in `Parse error at PointerOffset(0x…)`.
fn pointer_offset(line: &str) -> Option<usize> {
    let hex = line.split_once("PointerOffset(0x")?.1.split(')').next()?;
    usize::from_str_radix(hex, 16).ok()
}

/// The 1-based number and the text of the line of `sdp` that holds `address`, when the
/// address points into `sdp` itself.
fn line_at(sdp: &str, address: usize) -> Option<(usize, &str)> {
    let offset = address.checked_sub(sdp.as_ptr() as usize)?;
    if offset > sdp.len() {
        return None;
    }
    let start = sdp[..offset].rfind('\n').map_or(0, |i| i + 1);
    let number = sdp[..start].matches('\n').count() + 1;
    let line = sdp[start..].lines().next().unwrap_or("");
    Some((number, line))
}

/// `text` with control characters shown escaped (`\u{1b}`), so they reach no terminal.
fn escape_controls(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// At most 60 characters of a line, with control characters shown escaped.
fn excerpt(line: &str) -> String {
    let mut text = escape_controls(&line.chars().take(60).collect::<String>());
    if line.chars().count() > 60 {
        text.push('…');
    }
    format!("`{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_becomes_the_line_it_points_into() {
        let sdp = "v=0\r\nzzz\r\n";
        let address = sdp.as_ptr() as usize + 5;
        let message = format!(
            "Parse error at PointerOffset({address:#x})\nUnexpected `z`\nExpected `o`\nsdp line\n"
        );
        assert_eq!(
            describe(sdp, &message),
            "line 2 (`zzz`): Unexpected `z`; Expected `o`"
        );
    }

    #[test]
    fn an_address_elsewhere_is_dropped() {
        let message = "Parse error at PointerOffset(0x10)\nMedia is missing a=mid: audio";
        let text = describe("v=0\r\n", message);
        assert_eq!(text, "Media is missing a=mid: audio");
        assert!(!strip_addresses("at PointerOffset(0x7f00) x").contains("0x"));
    }

    #[test]
    fn str0m_messages_never_carry_an_address() {
        for sdp in ["garbage", "v=0\r\nzzz\r\n", "", "v=0\r\n\u{1b}[31m\r\n"] {
            let e = str0m::change::SdpOffer::from_sdp_string(sdp).unwrap_err();
            let text = describe(sdp, &e.to_string());
            assert!(!text.contains("0x") && !text.contains("Pointer"), "{text}");
            assert!(!text.contains('\u{1b}'), "{text}");
        }
        let e = str0m::change::SdpOffer::from_sdp_string("v=0\r\nzzz\r\n").unwrap_err();
        assert!(describe("v=0\r\nzzz\r\n", &e.to_string()).starts_with("line 2 (`zzz`)"));
    }
}
