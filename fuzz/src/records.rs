//! One fuzz input carries several datagrams: records of `[tag: u8][len: u16 LE][bytes]`.
//! A record whose length runs past the end takes what is left, so every input parses,
//! and small mutations of a length byte stay meaningful.

/// One record: the tag picks what the harness does with `bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub tag: u8,
    pub bytes: &'a [u8],
}

/// The records of `data`, in order.
pub fn split(mut data: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    while data.len() >= 3 {
        let tag = data[0];
        let len = u16::from_le_bytes([data[1], data[2]]) as usize;
        let rest = &data[3..];
        let len = len.min(rest.len());
        out.push(Record {
            tag,
            bytes: &rest[..len],
        });
        data = &rest[len..];
    }
    out
}

/// Encodes records in the format [`split`] reads (used to write seed corpora).
pub fn join<'a>(records: impl IntoIterator<Item = (u8, &'a [u8])>) -> Vec<u8> {
    let mut out = Vec::new();
    for (tag, bytes) in records {
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        out.push(tag);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&bytes[..len as usize]);
    }
    out
}
