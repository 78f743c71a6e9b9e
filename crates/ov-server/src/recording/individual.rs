//! INDIVIDUAL recordings as OpenVidu delivers them: one file per stream, a sync file
//! `<name>.json` telling where each starts and ends, all in `<name>.zip`; the loose files
//! are then deleted (only the metadata file and the ZIP stay).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use ov_protocol::rest::{OutputMode, Recording};
use serde_json::{Map, Value, json};

use super::job::Entry;
use crate::clock::now_ms;

/// One file of the sync JSON, with OpenVidu's keys in OpenVidu's order.
fn file_json(r: &Recording, e: &Entry, name: &str, size: u64) -> (Value, u64, u64) {
    let finished = e.finished.as_ref();
    let start = finished
        .map(|f| f.start_time)
        .filter(|t| *t > 0)
        .unwrap_or(e.joined_at);
    let end = finished
        .map(|f| f.end_time)
        .filter(|t| *t >= start && *t > 0)
        .or(e.left_at)
        .unwrap_or_else(now_ms)
        .max(start);
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("connectionId".into(), json!(e.source.connection_id));
    m.insert("streamId".into(), json!(e.source.stream_id));
    m.insert("size".into(), json!(size));
    m.insert("clientData".into(), json!(e.source.client_data));
    m.insert("serverData".into(), json!(e.source.server_data));
    m.insert("hasAudio".into(), json!(e.audio && r.has_audio));
    m.insert("hasVideo".into(), json!(e.video && r.has_video));
    if e.source.has_video {
        m.insert(
            "typeOfVideo".into(),
            json!(e.source.type_of_video.as_deref().unwrap_or("CAMERA")),
        );
    }
    m.insert(
        "startTimeOffset".into(),
        json!(start.saturating_sub(r.created_at)),
    );
    m.insert(
        "endTimeOffset".into(),
        json!(end.saturating_sub(r.created_at)),
    );
    (Value::Object(m), start, end)
}

/// Writes the sync file and the ZIP of `r` from its `streams`, then removes the loose
/// files. Returns (the sum of the stream files' sizes, the duration in seconds).
pub(super) fn package(folder: &Path, r: &Recording, streams: &[Entry]) -> io::Result<(u64, f64)> {
    let mut files = Vec::new();
    let mut total = 0u64;
    let (mut first, mut last) = (u64::MAX, 0u64);
    for e in streams {
        let Some(name) = &e.file else { continue };
        let Ok(meta) = std::fs::metadata(folder.join(name)) else {
            continue;
        };
        let (json, start, end) = file_json(r, e, name, meta.len());
        total += meta.len();
        first = first.min(start);
        last = last.max(end);
        files.push((name.clone(), json));
    }
    let duration = if files.is_empty() {
        0.0
    } else {
        last.saturating_sub(first) as f64 / 1000.0
    };
    let sync = json!({
        "createdAt": r.created_at,
        "id": r.id,
        "name": r.name,
        "sessionId": r.session_id,
        "files": files.iter().map(|(_, j)| j.clone()).collect::<Vec<_>>(),
    });
    let sync_name = format!("{}.json", r.name);
    let mut sync_text = serde_json::to_string_pretty(&sync).expect("JSON serializes");
    sync_text.push('\n');
    let mut entries: Vec<(String, Vec<u8>)> = vec![(sync_name, sync_text.into_bytes())];
    for (name, _) in &files {
        entries.push((name.clone(), std::fs::read(folder.join(name))?));
    }
    write_zip(&folder.join(format!("{}.zip", r.name)), &entries)?;
    remove_loose_files(folder, r)?;
    Ok((total, duration))
}

fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) -> io::Result<()> {
    let tmp = path.with_extension("zip.tmp");
    let mut zip = zip::ZipWriter::new(File::create(&tmp)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(entries.iter().map(|(_, b)| b.len() as u64).sum::<u64>() > u32::MAX as u64);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options)
            .map_err(io::Error::other)?;
        zip.write_all(bytes)?;
    }
    zip.finish().map_err(io::Error::other)?.sync_all()?;
    std::fs::rename(tmp, path)
}

/// Everything but the metadata file and the ZIP.
fn remove_loose_files(folder: &Path, r: &Recording) -> io::Result<()> {
    let keep = [format!(".recording.{}", r.id), format!("{}.zip", r.name)];
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        if keep.iter().any(|k| name.to_str() == Some(k)) || !entry.file_type()?.is_file() {
            continue;
        }
        std::fs::remove_file(entry.path())?;
    }
    Ok(())
}

/// What is left of a recording interrupted by a server crash: its size and whether a file
/// can be served. INDIVIDUAL files are zipped (without a sync file: their times died with
/// the server).
pub(super) fn salvage(folder: &Path, r: &Recording) -> (u64, bool) {
    let served = folder.join(format!("{}.{}", r.name, r.extension()));
    if r.output_mode != OutputMode::Individual {
        let size = std::fs::metadata(&served).map(|m| m.len()).unwrap_or(0);
        return (size, size > 0);
    }
    let Ok(dir) = std::fs::read_dir(folder) else {
        return (0, false);
    };
    let mut entries = Vec::new();
    let mut total = 0;
    for e in dir.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".webm") || name.ends_with(".mkv")) {
            continue;
        }
        if let Ok(bytes) = std::fs::read(e.path()) {
            total += bytes.len() as u64;
            entries.push((name, bytes));
        }
    }
    if entries.is_empty() {
        let size = std::fs::metadata(&served).map(|m| m.len()).unwrap_or(0);
        return (size, size > 0);
    }
    let ok = write_zip(&served, &entries).is_ok() && remove_loose_files(folder, r).is_ok();
    (total, ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::PeerId;
    use crate::recording::job::StreamSource;
    use ov_protocol::ids::{ConnectionId, StreamId};
    use ov_protocol::recorder::StreamFile;
    use ov_protocol::rest::{RecordingProperties, RecordingStatus};
    use std::io::Read;

    fn entry(stream: &str, file: &str, start: u64, end: u64) -> Entry {
        Entry {
            source: StreamSource {
                stream_id: StreamId::new(stream),
                connection_id: ConnectionId::new("con_A"),
                peer: PeerId(1),
                type_of_video: Some("CAMERA".into()),
                has_audio: true,
                has_video: true,
                client_data: "client".into(),
                server_data: "server".into(),
            },
            file: Some(file.into()),
            audio: true,
            video: true,
            tap: None,
            joined_at: start,
            left_at: Some(end),
            finished: Some(StreamFile {
                stream_id: stream.into(),
                file: Some(file.into()),
                size: 3,
                start_time: start + 10,
                end_time: end,
                has_audio: true,
                has_video: true,
            }),
        }
    }

    #[test]
    fn the_zip_holds_the_sync_file_and_every_stream_file() {
        let dir = tempfile::tempdir().unwrap();
        let props = RecordingProperties {
            output_mode: Some(OutputMode::Individual),
            name: Some("rec".into()),
            ..Default::default()
        }
        .resolve(None)
        .unwrap();
        let r = Recording::new(
            "ses_A".into(),
            "ses_A".into(),
            1_000,
            &props,
            RecordingStatus::Stopped,
        );
        std::fs::write(dir.path().join("str_1.webm"), b"abc").unwrap();
        std::fs::write(dir.path().join("str_2.webm"), b"defgh").unwrap();
        std::fs::write(dir.path().join(".recording.ses_A"), b"{}").unwrap();
        let streams = [
            entry("str_1", "str_1.webm", 1_000, 5_000),
            entry("str_2", "str_2.webm", 2_000, 7_010),
        ];
        let (size, duration) = package(dir.path(), &r, &streams).unwrap();
        assert_eq!(size, 8);
        assert_eq!(
            duration, 6.0,
            "from the first start (1010) to the last end (7010)"
        );
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [".recording.ses_A", "rec.zip"]);
        let mut zip =
            zip::ZipArchive::new(File::open(dir.path().join("rec.zip")).unwrap()).unwrap();
        let mut sync = String::new();
        zip.by_name("rec.json")
            .unwrap()
            .read_to_string(&mut sync)
            .unwrap();
        assert!(sync.starts_with("{\n  \"createdAt\": 1000,"), "{sync}");
        let sync: Value = serde_json::from_str(&sync).unwrap();
        assert_eq!(sync["files"][1]["startTimeOffset"], 1_010);
        assert_eq!(sync["files"][1]["endTimeOffset"], 6_010);
        assert_eq!(sync["files"][1]["typeOfVideo"], "CAMERA");
        assert_eq!(sync["files"][0]["name"], "str_1.webm");
        let mut bytes = Vec::new();
        zip.by_name("str_2.webm")
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(bytes, b"defgh");
    }
}
