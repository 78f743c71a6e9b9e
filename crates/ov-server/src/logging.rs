//! The log format: OpenVidu's plain text lines, with every field value made safe.
//!
//! Many logged values come from clients (a `joinRoom` `platform`, a method name, an id, an
//! error that quotes what was sent). Written raw, a newline would forge a log line, an
//! ANSI escape would reach the operator's terminal, and a 900 KB value would make a 900 KB
//! line. So every field is escaped and truncated where lines are formatted, whatever the
//! call site wrote; call sites need not remember.

use std::fmt::Write as _;

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{self, Writer};
use tracing_subscriber::fmt::{FormatFields, MakeWriter};

/// Most bytes of one field value in a log line; the rest is elided, with its length.
pub const MAX_FIELD: usize = 512;

/// Starts the process's logging on stderr with `filter` (an `EnvFilter` directive).
pub fn init(filter: &str) {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing::subscriber::set_global_default(subscriber(filter, std::io::stderr, ansi))
        .expect("logging is initialised once");
}

/// The subscriber `init` installs, writing to `writer` (tests capture it).
pub fn subscriber<W>(filter: &str, writer: W, ansi: bool) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .fmt_fields(safe_fields())
        .finish()
}

/// Field formatting: `name=value`, space separated, each value through [`sanitize`].
fn safe_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    format::debug_fn(|writer: &mut Writer<'_>, field, value| {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        let text = sanitize(&text, MAX_FIELD);
        if field.name() == "message" {
            write!(writer, "{text}")
        } else {
            write!(writer, "{field}={text}")
        }
    })
    .delimited(" ")
}

/// `text` with control characters escaped (`\n`, `\u{1b}`) and at most `max` bytes kept.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max) + 16);
    let mut kept = 0;
    for (index, c) in text.char_indices() {
        if kept >= max {
            let _ = write!(out, "…(+{} bytes)", text.len() - index);
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
        kept += c.len_utf8();
    }
    out
}

/// A log destination that keeps what is written, in memory: for embedding applications
/// that show the server's log, and for tests that check what is logged.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl MemoryLog {
    /// What was logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for MemoryLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for MemoryLog {
    type Writer = MemoryLog;

    fn make_writer(&'a self) -> MemoryLog {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_values_cut() {
        assert_eq!(sanitize("a\nb\u{1b}[31m", 100), "a\\nb\\u{1b}[31m");
        let long = "é".repeat(1000);
        let cut = sanitize(&long, 10);
        assert_eq!(cut, format!("{}…(+1990 bytes)", "é".repeat(5)));
    }
}
