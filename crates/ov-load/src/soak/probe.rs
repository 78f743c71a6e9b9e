//! What the soak samples of the server: resident memory and CPU from `/proc/<pid>` (as the
//! load run does), open file descriptors (entries of `/proc/<pid>/fd`), and the async
//! runtime's alive tasks from the last `alive_tasks=` of the server's log.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Open file descriptors.
    pub fds: u64,
    /// Alive tokio tasks, when the log gives them.
    pub tasks: Option<u64>,
}

/// The tail of the server's log, read from where the previous reading stopped.
pub struct LogTail {
    file: std::fs::File,
    pos: u64,
    partial: String,
    last_tasks: Option<u64>,
}

impl LogTail {
    /// Follows `path` from its current end (earlier lines are of earlier runs).
    pub fn open(path: &Path) -> std::io::Result<LogTail> {
        let mut file = std::fs::File::open(path)?;
        let pos = file.seek(SeekFrom::End(0))?;
        Ok(LogTail {
            file,
            pos,
            partial: String::new(),
            last_tasks: None,
        })
    }

    /// The latest task count logged so far.
    pub fn tasks(&mut self) -> Option<u64> {
        let mut chunk = Vec::new();
        if self.file.seek(SeekFrom::Start(self.pos)).is_ok()
            && let Ok(n) = self.file.read_to_end(&mut chunk)
        {
            self.pos += n as u64;
            self.partial.push_str(&String::from_utf8_lossy(&chunk));
        }
        if let Some(end) = self.partial.rfind('\n') {
            for line in self.partial[..end].lines() {
                if let Some(n) = alive_tasks(line) {
                    self.last_tasks = Some(n);
                }
            }
            self.partial.drain(..=end);
        }
        self.last_tasks
    }
}

/// The value of `alive_tasks=N` in a log line.
pub fn alive_tasks(line: &str) -> Option<u64> {
    let rest = &line[line.find("alive_tasks=")? + "alive_tasks=".len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Reads the server process.
pub fn read(pid: u32, log: Option<&mut LogTail>) -> std::io::Result<Probe> {
    let proc = crate::procstat::read(Some(pid))?;
    let fds = std::fs::read_dir(Path::new("/proc").join(pid.to_string()).join("fd"))?.count();
    Ok(Probe {
        rss_bytes: proc.rss_bytes,
        fds: fds as u64,
        tasks: log.and_then(|l| l.tasks()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_task_count_is_read_from_the_stats_line() {
        let line = "2026-12-01T23:00:00Z  INFO ov_server::stats: runtime alive_tasks=42 connections_open=3";
        assert_eq!(alive_tasks(line), Some(42));
        assert_eq!(alive_tasks("INFO something else"), None);
    }

    #[test]
    fn the_log_is_followed_from_its_end_and_partial_lines_wait() {
        let path = std::env::temp_dir().join(format!("ov-load-tail-{}", std::process::id()));
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "old alive_tasks=7").unwrap();
        let mut tail = LogTail::open(&path).unwrap();
        assert_eq!(tail.tasks(), None, "lines before opening are not ours");
        write!(f, "x alive_tasks=9\ny alive_tasks=1").unwrap();
        assert_eq!(tail.tasks(), Some(9), "the unfinished line waits");
        writeln!(f, "2").unwrap();
        assert_eq!(tail.tasks(), Some(12));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn this_process_has_descriptors_and_memory() {
        let p = read(std::process::id(), None).unwrap();
        assert!(p.fds >= 3 && p.rss_bytes > 0, "{p:?}");
    }
}
