//! Signals: `sendMessage` from participants and `POST /signal` from the application,
//! delivered to chosen connections or to everyone.

use ov_protocol::rpc::{self, ErrorCode, SignalDelivery, notification, notify};
use serde_json::Value;

use super::signaling::{Binding, Reply};
use super::{DomainError, Registry, SessionState, SignalingError};

/// Largest signal `data`, in bytes. Signals travel to every recipient's socket; 64 KiB is
/// far above chat-like use and keeps one sender from flooding a session.
pub const MAX_SIGNAL_DATA: usize = 64 * 1024;

impl Registry {
    /// `sendMessage`: delivers a signal to its recipients (everyone, sender included, when
    /// `to` is empty).
    pub fn signal_from_participant(
        &self,
        binding: &Binding,
        message: &str,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let parsed: Value = serde_json::from_str(message).map_err(|e| {
            SignalingError::new(
                ErrorCode::SignalFormatInvalid,
                format!("Signal message is not valid JSON: {e}"),
            )
        })?;
        let to = match parsed.get("to") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    SignalingError::new(
                        ErrorCode::SignalFormatInvalid,
                        "Signal 'to' must be an array of connection ids",
                    )
                })?,
            Some(_) => {
                return Err(SignalingError::new(
                    ErrorCode::SignalFormatInvalid,
                    "Signal 'to' must be an array of connection ids",
                ));
            }
        };
        let text = |key: &str| parsed.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(data) = parsed.get("data").and_then(Value::as_str)
            && data.len() > MAX_SIGNAL_DATA
        {
            return Err(SignalingError::new(
                ErrorCode::SignalFormatInvalid,
                format!(
                    "Signal data is too large: {} bytes, at most {MAX_SIGNAL_DATA}",
                    data.len()
                ),
            ));
        }
        let delivery = SignalDelivery {
            data: text("data"),
            signal_type: text("type"),
            from: Some(binding.connection_id.clone()),
        };
        let mut state = binding.session.lock();
        if state.participant_mut(&binding.connection_id).is_none() {
            return Err(SignalingError::gone());
        }
        let recipients = deliver_signal(&mut state, &to, &delivery).map_err(|unknown| {
            SignalingError::new(
                ErrorCode::SignalToInvalid,
                format!("Signal 'to' has connections not in the session: {unknown:?}"),
            )
        })?;
        self.events.signal_sent(
            &state.session_ref(),
            Some(&binding.connection_id),
            &recipients,
            delivery.signal_type.as_deref(),
            delivery.data.as_deref(),
        );
        state.send_to(&binding.connection_id, reply.ok(rpc::empty()));
        Ok(())
    }

    /// REST `POST /signal`: a signal without `from`.
    pub fn signal_from_server(
        &self,
        session_id: &str,
        signal: &ov_protocol::rest::SignalRequest,
    ) -> Result<(), DomainError> {
        let handle = self
            .session(session_id)
            .ok_or_else(|| DomainError::SessionNotFound(session_id.to_owned()))?;
        let mut state = handle.lock();
        if state.closed {
            return Err(DomainError::SessionNotFound(session_id.to_owned()));
        }
        if let Some(data) = &signal.data
            && data.len() > MAX_SIGNAL_DATA
        {
            return Err(DomainError::InvalidParameter(format!(
                "Parameter 'data' is too large: {} bytes, at most {MAX_SIGNAL_DATA}",
                data.len()
            )));
        }
        if !state.has_participants() {
            return Err(DomainError::NoParticipants(session_id.to_owned()));
        }
        let delivery = SignalDelivery {
            data: signal.data.clone(),
            signal_type: signal.signal_type.clone(),
            from: None,
        };
        let recipients = deliver_signal(
            &mut state,
            signal.to.as_deref().unwrap_or_default(),
            &delivery,
        )
        .map_err(DomainError::UnknownRecipients)?;
        self.events.signal_sent(
            &state.session_ref(),
            None,
            &recipients,
            delivery.signal_type.as_deref(),
            delivery.data.as_deref(),
        );
        Ok(())
    }
}

/// Sends a `sendMessage` notification to `to` (or everyone) and returns who got it.
/// Unknown recipients are returned as the error, and nothing is sent then.
fn deliver_signal(
    state: &mut SessionState,
    to: &[String],
    delivery: &SignalDelivery,
) -> Result<Vec<String>, Vec<String>> {
    let unknown: Vec<String> = to
        .iter()
        .filter(|id| !state.connection(id).is_some_and(|c| c.is_active()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let frame = notify(notification::SEND_MESSAGE, delivery);
    let mut recipients = Vec::new();
    for c in &mut state.connections {
        if (to.is_empty() || to.contains(&c.id))
            && let Some(p) = c.participant.as_mut()
        {
            p.send(frame.clone());
            recipients.push(c.id.clone());
        }
    }
    Ok(recipients)
}
