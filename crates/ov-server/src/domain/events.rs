//! Call detail record events (OpenVidu's CDR / webhook events), produced by the domain and
//! consumed off the hot path by the webhook sender and the CDR file writer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::participant::{Participant, StreamOptions};
use crate::clock::now_ms;

/// Events queued for the consumers before new ones are dropped (with a warning): a slow
/// webhook endpoint must never block or bloat a session.
pub const EVENT_QUEUE: usize = 10_000;

/// One event: its OpenVidu name and its fields (without `event`).
#[derive(Debug, Clone, PartialEq)]
pub struct CdrEvent {
    /// `sessionCreated`, `participantJoined`, ...
    pub name: &'static str,
    /// Fields in OpenVidu's order.
    pub fields: Map<String, Value>,
}

impl CdrEvent {
    /// The webhook body: the fields plus `"event": name`.
    pub fn webhook_body(&self) -> Value {
        let mut fields = self.fields.clone();
        fields.insert("event".into(), Value::String(self.name.to_owned()));
        Value::Object(fields)
    }

    /// The CDR file line: `{"<name>": {fields}}`.
    pub fn cdr_line(&self) -> String {
        let mut root = Map::new();
        root.insert(self.name.to_owned(), Value::Object(self.fields.clone()));
        Value::Object(root).to_string()
    }
}

/// Where the domain sends events; a no-op when neither webhooks nor CDR are on.
#[derive(Debug, Clone, Default)]
pub struct EventSink {
    tx: Option<mpsc::Sender<CdrEvent>>,
    /// Events dropped because the queue was full or closed, shared by the clones.
    dropped: Arc<AtomicU64>,
}

impl EventSink {
    /// A sink feeding `tx`.
    pub fn new(tx: mpsc::Sender<CdrEvent>) -> Self {
        EventSink {
            tx: Some(tx),
            dropped: Arc::default(),
        }
    }

    /// Whether anybody listens (events are not even built otherwise).
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// How many events were dropped so far (the consumers lost them).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn emit(&self, name: &'static str, fields: Map<String, Value>) {
        if let Some(tx) = &self.tx
            && tx.try_send(CdrEvent { name, fields }).is_err()
        {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(
                event = name,
                dropped,
                "event queue full or closed: event dropped"
            );
        }
    }
}

/// The session an event belongs to.
#[derive(Debug, Clone)]
pub struct SessionRef {
    /// Session id.
    pub id: ov_protocol::ids::SessionId,
    /// Session creation time, epoch ms.
    pub created_at: u64,
}

fn base(session: &SessionRef, timestamp: u64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sessionId".into(), json!(session.id));
    m.insert(
        "uniqueSessionId".into(),
        json!(format!("{}_{}", session.id, session.created_at)),
    );
    m.insert("timestamp".into(), json!(timestamp));
    m
}

/// Adds `startTime`, `duration` (whole seconds) and `reason` of an end event.
fn end(m: &mut Map<String, Value>, start: u64, now: u64, reason: &str) {
    m.insert("startTime".into(), json!(start));
    m.insert("duration".into(), json!(now.saturating_sub(start) / 1000));
    m.insert("reason".into(), json!(reason));
}

fn participant_fields(
    m: &mut Map<String, Value>,
    connection_id: &str,
    p: &Participant,
    server_data: &str,
) {
    m.insert("participantId".into(), json!(connection_id));
    m.insert("connectionId".into(), json!(connection_id));
    m.insert("location".into(), json!("unknown"));
    m.insert("ip".into(), json!(p.ip));
    m.insert("platform".into(), json!(p.platform));
    m.insert("clientData".into(), json!(p.client_data));
    m.insert("serverData".into(), json!(server_data));
}

/// A WebRTC connection: a publication (OUTBOUND) or a subscription (INBOUND).
#[derive(Debug, Clone, Copy)]
pub struct WebrtcRef<'a> {
    /// Stream published or received.
    pub stream_id: &'a str,
    /// The publisher (OUTBOUND) or the subscriber (INBOUND).
    pub connection_id: &'a str,
    /// The publisher, for INBOUND.
    pub receiving_from: Option<&'a str>,
    /// The stream's options.
    pub options: &'a StreamOptions,
    /// Creation time, epoch ms.
    pub created_at: u64,
}

fn webrtc_fields(m: &mut Map<String, Value>, w: WebrtcRef<'_>) {
    m.insert("streamId".into(), json!(w.stream_id));
    m.insert("participantId".into(), json!(w.connection_id));
    m.insert("connectionId".into(), json!(w.connection_id));
    match w.receiving_from {
        Some(from) => {
            m.insert("connection".into(), json!("INBOUND"));
            m.insert("receivingFrom".into(), json!(from));
        }
        None => {
            m.insert("connection".into(), json!("OUTBOUND"));
        }
    }
    let o = w.options;
    if o.has_video {
        m.insert("videoSource".into(), json!(o.type_of_video));
        m.insert("videoFramerate".into(), json!(o.frame_rate));
        m.insert("videoDimensions".into(), json!(o.video_dimensions));
    }
    m.insert("audioEnabled".into(), json!(o.has_audio));
    m.insert("videoEnabled".into(), json!(o.has_video));
}

impl EventSink {
    /// `sessionCreated`.
    pub fn session_created(&self, s: &SessionRef) {
        if self.enabled() {
            self.emit("sessionCreated", base(s, s.created_at));
        }
    }

    /// `recordingStatusChanged`: `reason` for the end statuses only (none for `started`
    /// and a failed start).
    pub fn recording_status_changed(
        &self,
        s: &SessionRef,
        r: &ov_protocol::rest::Recording,
        reason: Option<&str>,
    ) {
        if !self.enabled() {
            return;
        }
        let mut m = base(s, now_ms());
        m.insert("startTime".into(), json!(r.created_at));
        m.insert("duration".into(), json!(r.duration));
        if let Some(reason) = reason {
            m.insert("reason".into(), json!(reason));
        }
        m.insert("id".into(), json!(r.id));
        m.insert("name".into(), json!(r.name));
        m.insert("outputMode".into(), json!(r.output_mode));
        if r.is_composed_video() {
            m.insert("resolution".into(), json!(r.resolution));
            m.insert("frameRate".into(), json!(r.frame_rate));
            m.insert("recordingLayout".into(), json!(r.recording_layout));
            if let Some(c) = r.custom_layout.as_ref().filter(|c| !c.is_empty()) {
                m.insert("customLayout".into(), json!(c));
            }
            if let Some(node) = &r.media_node {
                m.insert("media_node_id".into(), json!(node));
            }
        }
        m.insert("hasAudio".into(), json!(r.has_audio));
        m.insert("hasVideo".into(), json!(r.has_video));
        m.insert("size".into(), json!(r.size));
        m.insert("status".into(), json!(r.status));
        self.emit("recordingStatusChanged", m);
    }

    /// `sessionDestroyed`.
    pub fn session_destroyed(&self, s: &SessionRef, reason: &str) {
        if self.enabled() {
            let now = now_ms();
            let mut m = base(s, now);
            end(&mut m, s.created_at, now, reason);
            self.emit("sessionDestroyed", m);
        }
    }

    /// `participantJoined`.
    pub fn participant_joined(
        &self,
        s: &SessionRef,
        connection_id: &str,
        p: &Participant,
        server_data: &str,
    ) {
        if self.enabled() {
            let mut m = base(s, p.active_at);
            participant_fields(&mut m, connection_id, p, server_data);
            self.emit("participantJoined", m);
        }
    }

    /// `participantLeft`.
    pub fn participant_left(
        &self,
        s: &SessionRef,
        connection_id: &str,
        p: &Participant,
        server_data: &str,
        reason: &str,
    ) {
        if self.enabled() {
            let now = now_ms();
            let mut m = base(s, now);
            end(&mut m, p.active_at, now, reason);
            participant_fields(&mut m, connection_id, p, server_data);
            self.emit("participantLeft", m);
        }
    }

    /// `webrtcConnectionCreated`.
    pub fn webrtc_created(&self, s: &SessionRef, w: WebrtcRef<'_>) {
        if self.enabled() {
            let mut m = base(s, now_ms());
            webrtc_fields(&mut m, w);
            self.emit("webrtcConnectionCreated", m);
        }
    }

    /// `webrtcConnectionDestroyed`.
    pub fn webrtc_destroyed(&self, s: &SessionRef, w: WebrtcRef<'_>, reason: &str) {
        if self.enabled() {
            let now = now_ms();
            let mut m = base(s, now);
            end(&mut m, w.created_at, now, reason);
            webrtc_fields(&mut m, w);
            self.emit("webrtcConnectionDestroyed", m);
        }
    }

    /// `signalSent`: `from` is `None` for REST signals; a client's `signal:` type prefix is
    /// stripped, as OpenVidu does.
    pub fn signal_sent(
        &self,
        s: &SessionRef,
        from: Option<&str>,
        to: &[ov_protocol::ids::ConnectionId],
        signal_type: Option<&str>,
        data: Option<&str>,
    ) {
        if self.enabled() {
            let signal_type = match (from, signal_type) {
                (Some(_), Some(t)) => Some(t.strip_prefix("signal:").unwrap_or(t)),
                (_, t) => t,
            };
            let mut m = base(s, now_ms());
            m.insert("from".into(), json!(from));
            m.insert("to".into(), json!(to));
            m.insert("type".into(), json!(signal_type));
            m.insert("data".into(), json!(data));
            self.emit("signalSent", m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_lines() {
        let (tx, mut rx) = mpsc::channel(4);
        let sink = EventSink::new(tx);
        let s = &SessionRef {
            id: "ses_A".into(),
            created_at: 1_000,
        };
        sink.session_destroyed(s, "lastParticipantLeft");
        let e = rx.try_recv().unwrap();
        let body = e.webhook_body();
        assert_eq!(body["event"], "sessionDestroyed");
        assert_eq!(body["uniqueSessionId"], "ses_A_1000");
        assert_eq!(body["startTime"], 1_000);
        assert!(body["duration"].as_u64().unwrap() > 1_000_000);
        assert_eq!(body["reason"], "lastParticipantLeft");
        assert!(
            e.cdr_line()
                .starts_with("{\"sessionDestroyed\":{\"sessionId\":\"ses_A\"")
        );
        sink.signal_sent(
            s,
            Some("con_A"),
            &["con_B".into()],
            Some("signal:chat"),
            Some("hi"),
        );
        let e = rx.try_recv().unwrap().webhook_body();
        assert_eq!(e["type"], "chat");
        assert_eq!(e["to"], json!(["con_B"]));
        sink.signal_sent(s, None, &[], Some("signal:x"), None);
        let e = rx.try_recv().unwrap().webhook_body();
        assert_eq!(
            (e["type"].clone(), e["from"].clone(), e["data"].clone()),
            (json!("signal:x"), Value::Null, Value::Null)
        );
    }

    #[test]
    fn a_full_queue_drops_with_a_warning_instead_of_blocking() {
        let log = crate::logging::MemoryLog::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_ansi(false)
            .finish();
        let (tx, mut rx) = mpsc::channel(1);
        let sink = EventSink::new(tx);
        let s = &SessionRef {
            id: "s".into(),
            created_at: 0,
        };
        tracing::subscriber::with_default(subscriber, || {
            sink.session_created(s);
            sink.session_destroyed(s, "lastParticipantLeft");
            sink.clone().signal_sent(s, None, &[], None, None);
        });
        // The first event is queued, the two that found the queue full are not.
        let queued = rx.try_recv().unwrap();
        assert_eq!(queued.name, "sessionCreated");
        assert!(rx.try_recv().is_err(), "nothing else was queued");
        assert_eq!(sink.dropped(), 2, "clones share the count");
        let text = log.text();
        assert_eq!(text.matches("event dropped").count(), 2, "{text}");
        assert!(text.contains("WARN"), "{text}");
        assert!(
            text.contains("event=\"sessionDestroyed\"") && text.contains("event=\"signalSent\""),
            "the warnings name the dropped events: {text}"
        );
        // A closed queue drops too; a disabled sink neither queues nor counts.
        drop(rx);
        sink.session_created(s);
        assert_eq!(sink.dropped(), 3);
        let off = EventSink::default();
        assert!(!off.enabled());
        off.session_created(s);
        assert_eq!(off.dropped(), 0);
    }
}
