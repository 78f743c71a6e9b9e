//! `streamPropertyChanged`: a publisher mutes, unmutes, rotates or replaces a track; the
//! stored options follow and every other participant is told.

use ov_protocol::rpc::requests::StreamPropertyChangedParams;
use ov_protocol::rpc::{self, StreamPropertyChanged, notification, notify};
use serde_json::Value;

use super::SignalingError;
use super::binding::{Binding, Reply};

impl Binding {
    /// Records the change and tells the others. The official server ignores the client's
    /// `streamId` and uses the caller's current stream; so does this.
    pub fn change_stream_property(
        &self,
        params: StreamPropertyChangedParams,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let mut state = self.lock();
        let p = state.joined_mut(&self.connection_id)?;
        let stream = p
            .publisher
            .as_mut()
            .ok_or(SignalingError::NoStreamToChange)?;
        let property = params.property.as_str();
        let o = &mut stream.options;
        match (property, &params.new_value) {
            ("audioActive", Value::Bool(b)) => o.audio_active = *b,
            ("videoActive", Value::Bool(b)) => o.video_active = *b,
            ("videoDimensions", Value::String(d)) => o.video_dimensions = Some(d.clone()),
            ("audioActive" | "videoActive" | "videoDimensions", _) => {
                return Err(SignalingError::PropertyValueType(params.property));
            }
            _ => {}
        }
        let body = StreamPropertyChanged {
            connection_id: self.connection_id.clone(),
            stream_id: stream.id.clone(),
            property: params.property.clone(),
            new_value: rpc::encode_property_value(property, &params.new_value),
            reason: params.reason.unwrap_or_default(),
        };
        p.send(reply.ok(rpc::empty()));
        state.notify_all(
            Some(&self.connection_id),
            &notify(notification::STREAM_PROPERTY_CHANGED, &body),
        );
        if property == "videoDimensions" {
            state.apply_video_sizes(&body.stream_id);
        }
        Ok(())
    }
}
