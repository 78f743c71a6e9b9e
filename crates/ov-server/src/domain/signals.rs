//! Signals: `sendMessage` from participants and `POST /signal` from the application,
//! delivered to chosen connections or to everyone.

use ov_protocol::ids::{ConnectionId, SessionId};
use ov_protocol::rpc::limits::{MAX_SIGNAL_DATA, MAX_SIGNAL_TYPE};
use ov_protocol::rpc::{self, SignalDelivery, notification, notify};
use serde_json::Value;

use super::binding::{Binding, Reply};
use super::{DomainError, Registry, SessionState, SignalingError};

/// A signal's element over its cap: `(element, size, cap)`. Signals travel to every
/// recipient's socket; the caps are far above chat-like use and keep one sender from
/// flooding a session. The same caps hold over RPC and REST.
fn oversized(delivery: &SignalDelivery) -> Option<(&'static str, usize, usize)> {
    [
        ("data", delivery.data.as_deref(), MAX_SIGNAL_DATA),
        ("type", delivery.signal_type.as_deref(), MAX_SIGNAL_TYPE),
    ]
    .into_iter()
    .find_map(|(field, value, max)| {
        let size = value.map_or(0, str::len);
        (size > max).then_some((field, size, max))
    })
}

impl Binding {
    /// `sendMessage`: delivers a signal to its recipients (everyone, sender included, when
    /// `to` is empty).
    pub fn signal(&self, message: &str, reply: Reply<'_>) -> Result<(), SignalingError> {
        let parsed: Value = serde_json::from_str(message)
            .map_err(|e| SignalingError::SignalNotJson(e.to_string()))?;
        let to = match parsed.get("to") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(ConnectionId::from))
                .collect::<Option<Vec<_>>>()
                .ok_or(SignalingError::SignalRecipientsNotArray)?,
            Some(_) => return Err(SignalingError::SignalRecipientsNotArray),
        };
        let text = |key: &str| parsed.get(key).and_then(Value::as_str).map(str::to_owned);
        let delivery = SignalDelivery {
            data: text("data"),
            signal_type: text("type"),
            from: Some(self.connection_id.clone()),
        };
        if let Some((field, size, max)) = oversized(&delivery) {
            return Err(SignalingError::SignalTooLarge { field, size, max });
        }
        let mut state = self.lock();
        let limit = state.services.config.limits.signal_rate();
        let sender = state.joined_mut(&self.connection_id)?;
        if let (Some(bucket), Some(limit)) = (sender.signal_rate.as_mut(), limit)
            && !bucket.take(std::time::Instant::now())
        {
            return Err(SignalingError::LimitReached(limit));
        }
        let recipients = state
            .deliver_signal(&to, &delivery)
            .map_err(SignalingError::SignalRecipientsUnknown)?;
        state.services.events.signal_sent(
            &state.session_ref(),
            Some(&self.connection_id),
            &recipients,
            delivery.signal_type.as_deref(),
            delivery.data.as_deref(),
        );
        state.send_to(&self.connection_id, reply.ok(rpc::empty()));
        Ok(())
    }
}

impl Registry {
    /// REST `POST /signal`: a signal without `from`.
    pub fn signal_from_server(
        &self,
        session_id: &SessionId,
        signal: &ov_protocol::rest::SignalRequest,
    ) -> Result<(), DomainError> {
        self.with_open_session(session_id, |state| {
            let delivery = SignalDelivery {
                data: signal.data.clone(),
                signal_type: signal.signal_type.clone(),
                from: None,
            };
            if let Some((field, size, max)) = oversized(&delivery) {
                return Err(DomainError::InvalidParameter(format!(
                    "Parameter '{field}' is too large: {size} bytes, at most {max}"
                )));
            }
            if !state.has_participants() {
                return Err(DomainError::NoParticipants(state.id.clone()));
            }
            let recipients = state
                .deliver_signal(signal.to.as_deref().unwrap_or_default(), &delivery)
                .map_err(DomainError::UnknownRecipients)?;
            state.services.events.signal_sent(
                &state.session_ref(),
                None,
                &recipients,
                delivery.signal_type.as_deref(),
                delivery.data.as_deref(),
            );
            Ok(())
        })
    }
}

impl SessionState {
    /// Sends a `sendMessage` notification to `to` (or everyone) and returns who got it.
    /// Unknown recipients are returned as the error, and nothing is sent then.
    fn deliver_signal(
        &mut self,
        to: &[ConnectionId],
        delivery: &SignalDelivery,
    ) -> Result<Vec<ConnectionId>, Vec<ConnectionId>> {
        let unknown: Vec<ConnectionId> = to
            .iter()
            .filter(|id| !self.connection(id).is_some_and(|c| c.is_active()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let frame = notify(notification::SEND_MESSAGE, delivery);
        let mut recipients = Vec::new();
        for c in &mut self.connections {
            if (to.is_empty() || to.contains(&c.id))
                && let Some(p) = c.participant.as_mut()
            {
                p.send(frame.clone());
                recipients.push(c.id.clone());
            }
        }
        Ok(recipients)
    }
}
