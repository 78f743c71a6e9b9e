//! The recordings folder: one sub-folder per recording, named by its id, holding the
//! metadata file `.recording.<id>` (the Recording object plus `uniqueSessionId`, the only
//! source of truth of `GET /recordings`, across restarts) and the recording's files.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use ov_protocol::ids::{RecordingId, SessionId, is_valid_recording_name};
use ov_protocol::rest::Recording;

/// The folder of all recordings.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

const METADATA_PREFIX: &str = ".recording.";

impl Store {
    /// The store at `root` (created if missing); fails if it cannot be written.
    pub fn open(root: &Path) -> io::Result<Store> {
        std::fs::create_dir_all(root)?;
        let probe = root.join(".openvidu-write-check");
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)?;
        Ok(Store {
            root: root.to_owned(),
        })
    }

    /// The folder of recording `id` (`id` must come from [`Store::free_id`] or pass
    /// [`Store::is_safe_id`]).
    pub fn folder(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The file a recording is served as (`<name>.mp4`, `.webm` or `.zip`).
    pub fn served_file(&self, r: &Recording) -> PathBuf {
        self.folder(&r.id)
            .join(format!("{}.{}", r.name, r.extension()))
    }

    /// Whether `id` can name a folder here: what recording ids are made of (session-id
    /// characters and `~`), so that no id from a URL reaches outside the store.
    pub fn is_safe_id(id: &str) -> bool {
        is_valid_recording_name(id) && id != "." && id != ".."
    }

    fn metadata_path(&self, id: &str) -> PathBuf {
        self.folder(id).join(format!("{METADATA_PREFIX}{id}"))
    }

    /// Writes the metadata of `r` (atomically: a reader sees the old or the new file).
    pub fn write(&self, r: &Recording) -> io::Result<()> {
        let folder = self.folder(&r.id);
        std::fs::create_dir_all(&folder)?;
        let tmp = folder.join(format!(".tmp{METADATA_PREFIX}{}", r.id));
        std::fs::write(&tmp, serde_json::to_vec(r).expect("a recording serializes"))?;
        std::fs::rename(&tmp, self.metadata_path(&r.id))
    }

    /// The recording `id` as its metadata file says, if it has a readable one.
    pub fn read(&self, id: &str) -> Option<Recording> {
        if !Self::is_safe_id(id) {
            return None;
        }
        let bytes = std::fs::read(self.metadata_path(id)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every recording with a readable metadata file.
    pub fn list(&self) -> Vec<Recording> {
        self.ids().iter().filter_map(|id| self.read(id)).collect()
    }

    /// The ids of the sub-folders holding a metadata file (what OpenVidu counts as taken).
    fn ids(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| {
                let files = std::fs::read_dir(e.path()).ok()?;
                files.filter_map(Result::ok).find_map(|f| {
                    f.file_name()
                        .to_str()?
                        .strip_prefix(METADATA_PREFIX)
                        .map(str::to_owned)
                })
            })
            .collect()
    }

    /// Deletes recording `id` and its folder; `Ok(false)` if it has no metadata file.
    pub fn delete(&self, id: &str) -> io::Result<bool> {
        if self.read(id).is_none() {
            return Ok(false);
        }
        std::fs::remove_dir_all(self.folder(id))?;
        Ok(true)
    }

    /// The first free id for a recording of `session`: the session id, then `~1`, `~2`,
    /// … (taken: on disk, or in `active`).
    pub fn free_id(&self, session: &SessionId, active: &HashSet<RecordingId>) -> RecordingId {
        let taken: HashSet<String> = self.ids().into_iter().collect();
        let mut candidate = session.to_string();
        let mut n = 0u32;
        while taken.contains(&candidate)
            || active.contains(candidate.as_str())
            || self.folder(&candidate).exists()
        {
            n += 1;
            candidate = format!("{session}~{n}");
        }
        RecordingId::new(candidate)
    }

    /// Free bytes on the store's file system.
    pub fn available_space(&self) -> Option<u64> {
        fs4::available_space(&self.root).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ov_protocol::rest::{RecordingProperties, RecordingStatus};

    fn recording(id: &str) -> Recording {
        let props = RecordingProperties::default().resolve(None).unwrap();
        Recording::new(
            id.into(),
            "ses_A".into(),
            1,
            &props,
            RecordingStatus::Started,
        )
    }

    #[test]
    fn ids_metadata_and_deletion() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let session = SessionId::new("ses_A");
        let none = HashSet::new();
        assert_eq!(store.free_id(&session, &none).as_str(), "ses_A");
        store.write(&recording("ses_A")).unwrap();
        assert_eq!(store.free_id(&session, &none).as_str(), "ses_A~1");
        let active: HashSet<RecordingId> = [RecordingId::new("ses_A~1")].into();
        assert_eq!(store.free_id(&session, &active).as_str(), "ses_A~2");
        store.write(&recording("ses_A~1")).unwrap();
        assert_eq!(store.read("ses_A~1").unwrap().id, "ses_A~1");
        assert_eq!(store.list().len(), 2);
        assert!(store.delete("ses_A").unwrap());
        assert!(!store.delete("ses_A").unwrap());
        // A deleted id is free again, as in OpenVidu.
        assert_eq!(store.free_id(&session, &none).as_str(), "ses_A");
        assert!(store.read("../etc").is_none());
        assert!(!Store::is_safe_id(".."));
        assert!(store.available_space().unwrap() > 0);
    }
}
