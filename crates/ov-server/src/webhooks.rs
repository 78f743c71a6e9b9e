//! Delivery of call detail record events: OpenVidu's webhook (`OPENVIDU_WEBHOOK*`) and CDR
//! file (`OPENVIDU_CDR*`). One task, off the hot path, consuming the domain's bounded event
//! queue in order.
//!
//! Webhook: `POST` of the event JSON (fields plus `"event"`), custom headers, JSON content
//! type unless a header sets it; sequential, so events arrive in order; up to 5 attempts
//! when the endpoint cannot be reached (as OpenVidu's sender retries I/O errors), none on a
//! non-200 answer; 10 s timeouts; certificates not verified (as OpenVidu).
//! CDR: one line `{"<event>": {fields}}` per event in `CDR.<date>_<start>.log`, a new file
//! each day.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::domain::CdrEvent;

/// Attempts per event when the endpoint cannot be reached.
const ATTEMPTS: u32 = 5;
/// Pause between two attempts.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Starts the delivery task if webhooks or the CDR are enabled; returns the task.
pub fn start(
    config: &Config,
    mut events: mpsc::Receiver<CdrEvent>,
    mut stopped: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let mut webhook = config.webhook.as_ref().map(Webhook::new);
    let mut cdr = config.cdr_path.clone().map(CdrFile::new);
    if webhook.is_none() && cdr.is_none() {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                e = events.recv() => e,
                _ = stopped.wait_for(|s| *s) => None,
            };
            let Some(event) = event else {
                return;
            };
            if let Some(cdr) = cdr.as_mut() {
                cdr.write(&event).await;
            }
            if let Some(webhook) = webhook.as_mut() {
                tokio::select! {
                    () = webhook.post(&event) => {}
                    _ = stopped.wait_for(|s| *s) => return,
                }
            }
        }
    }))
}

struct Webhook {
    client: reqwest::Client,
    endpoint: String,
    headers: reqwest::header::HeaderMap,
    events: Vec<String>,
}

impl Webhook {
    fn new(config: &crate::config::WebhookConfig) -> Webhook {
        use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            match (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                (Ok(n), Ok(v)) => {
                    headers.insert(n, v);
                }
                _ => {
                    tracing::warn!(header = %name, "webhook header ignored: not a valid HTTP header")
                }
            }
        }
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client without special settings builds");
        Webhook {
            client,
            endpoint: config.endpoint.clone(),
            headers,
            events: config.events.clone(),
        }
    }

    async fn post(&mut self, event: &CdrEvent) {
        if !self.events.iter().any(|e| e == event.name) {
            return;
        }
        let body = event.webhook_body().to_string();
        for attempt in 1..=ATTEMPTS {
            let sent = self
                .client
                .post(&self.endpoint)
                .headers(self.headers.clone())
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status() == reqwest::StatusCode::OK => return,
                Ok(r) => {
                    tracing::error!(event = event.name, status = %r.status(), endpoint = %self.endpoint, "webhook endpoint answered, expected 200");
                    return;
                }
                Err(e) if attempt < ATTEMPTS => {
                    tracing::debug!(event = event.name, attempt, error = %e, "webhook not delivered, retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(e) => {
                    tracing::error!(event = event.name, error = %e, endpoint = %self.endpoint, "webhook not delivered");
                }
            }
        }
    }
}

struct CdrFile {
    folder: PathBuf,
    started: u64,
    day: Option<String>,
    file: Option<tokio::fs::File>,
}

impl CdrFile {
    fn new(folder: PathBuf) -> CdrFile {
        CdrFile {
            folder,
            started: crate::clock::now_ms(),
            day: None,
            file: None,
        }
    }

    async fn write(&mut self, event: &CdrEvent) {
        self.write_at(event, crate::clock::now_ms()).await;
    }

    /// Appends `event` to the file of the day of `now_ms` (epoch ms), opening a new file
    /// when the day changed. Time is a parameter so that rotation can be tested.
    async fn write_at(&mut self, event: &CdrEvent, now_ms: u64) {
        let day = civil_date(now_ms / 1000);
        if self.day.as_deref() != Some(day.as_str()) || self.file.is_none() {
            self.file = self.open(&day).await;
            self.day = Some(day);
        }
        if let Some(file) = self.file.as_mut() {
            let mut line = event.cdr_line();
            line.push('\n');
            // tokio's File hands writes to a background task; flushing makes the line
            // reach the file before the next event is handled.
            let written = match file.write_all(line.as_bytes()).await {
                Ok(()) => file.flush().await,
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                tracing::error!(error = %e, "cannot write the CDR file");
                self.file = None;
            }
        }
    }

    async fn open(&self, day: &str) -> Option<tokio::fs::File> {
        if let Err(e) = tokio::fs::create_dir_all(&self.folder).await {
            tracing::error!(folder = %self.folder.display(), error = %e, "cannot create the CDR folder");
            return None;
        }
        let path = self.folder.join(format!("CDR.{day}_{}.log", self.started));
        match tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
        {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot open the CDR file");
                None
            }
        }
    }
}

/// `YYYY-MM-DD` (UTC) of a Unix time, without a calendar crate (Howard Hinnant's
/// days-to-civil algorithm).
fn civil_date(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64 + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(session: &str) -> CdrEvent {
        let mut fields = serde_json::Map::new();
        fields.insert("sessionId".into(), session.into());
        CdrEvent {
            name: "sessionCreated",
            fields,
        }
    }

    /// The files of `folder` and their lines' session ids, by file name.
    fn files(folder: &std::path::Path) -> std::collections::BTreeMap<String, Vec<String>> {
        std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let sessions = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .map(|l| {
                        let v: serde_json::Value = serde_json::from_str(l).unwrap();
                        v["sessionCreated"]["sessionId"]
                            .as_str()
                            .unwrap()
                            .to_owned()
                    })
                    .collect();
                let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                (name, sessions)
            })
            .collect()
    }

    #[tokio::test]
    async fn the_cdr_starts_a_new_file_each_day() {
        let folder = std::env::temp_dir().join(format!("ovrs-cdr-days-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let mut cdr = CdrFile::new(folder.clone());
        let started = cdr.started;
        // 2026-11-24 23:59:59 and 23:59:59.999, then 2026-11-25 00:00:00 and later.
        let last_second = 1_795_564_799_000;
        cdr.write_at(&event("a"), last_second).await;
        cdr.write_at(&event("b"), last_second + 999).await;
        cdr.write_at(&event("c"), last_second + 1_000).await;
        cdr.write_at(&event("d"), last_second + 3_600_000).await;
        let expected: std::collections::BTreeMap<String, Vec<String>> = [
            (format!("CDR.2026-11-24_{started}.log"), vec!["a", "b"]),
            (format!("CDR.2026-11-25_{started}.log"), vec!["c", "d"]),
        ]
        .into_iter()
        .map(|(name, lines)| (name, lines.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(files(&folder), expected);
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(951_782_400), "2000-02-29");
        assert_eq!(civil_date(1_795_516_311), "2026-11-24");
    }
}
