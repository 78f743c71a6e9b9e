//! `updateSubscription`, openvidu-rs's own request: how large a subscriber shows a stream
//! (our SDK reports each subscription's rendered size; openvidu-browser never sends it).
//! The engine then forwards the lowest simulcast layer that fills it, so a thumbnail
//! costs a thumbnail's bitrate. The size is kept with the subscription and applied again
//! when the publisher's size changes or the subscription is renegotiated.

use ov_protocol::ids::StreamId;
use ov_protocol::rpc::{self, requests::UpdateSubscriptionParams};

use super::binding::{Binding, Reply};
use super::{SessionState, SignalingError};

impl Binding {
    /// Records the size `params.sender` is shown at, answers, and tells the engine.
    pub fn update_subscription(
        &self,
        params: UpdateSubscriptionParams,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let mut state = self.lock();
        let subscription = state
            .joined_mut(&self.connection_id)?
            .subscriptions
            .iter_mut()
            .find(|s| s.stream_id == params.sender)
            .ok_or_else(|| SignalingError::NoSubscription(params.sender.clone()))?;
        subscription.shown = Some((params.width, params.height));
        state.send_to(&self.connection_id, reply.ok(rpc::empty()));
        state.apply_video_sizes(&params.sender);
        Ok(())
    }
}

impl SessionState {
    /// Hands the engine the shown size of every subscription to `stream_id` that reported
    /// one, with the publisher's current size (`videoDimensions`). Without a known size
    /// the layer choice stays free.
    pub(super) fn apply_video_sizes(&self, stream_id: &StreamId) {
        let Some(top) = self
            .published(stream_id)
            .and_then(|(_, s)| s.options.video_dimensions.as_deref())
            .and_then(dimensions)
        else {
            return;
        };
        let subscriptions = self
            .connections
            .iter()
            .filter_map(|c| c.participant.as_ref())
            .flat_map(|p| &p.subscriptions)
            .filter(|s| s.stream_id == *stream_id);
        for s in subscriptions {
            if let Some(shown) = s.shown {
                self.services.media.set_video_size(s.peer, top, Some(shown));
            }
        }
    }
}

/// Width and height from `videoDimensions` (`{"width":640,"height":480}`, as
/// openvidu-browser sends it).
fn dimensions(json: &str) -> Option<(u32, u32)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let side = |k: &str| v.get(k)?.as_u64().and_then(|n| u32::try_from(n).ok());
    Some((side("width")?, side("height")?)).filter(|(w, h)| *w > 0 && *h > 0)
}

#[cfg(test)]
mod tests {
    use super::dimensions;

    #[test]
    fn reads_the_dimensions_openvidu_browser_sends() {
        assert_eq!(
            dimensions(r#"{"width":640,"height":480}"#),
            Some((640, 480))
        );
        assert_eq!(dimensions(r#"{"width":0,"height":480}"#), None);
        assert_eq!(dimensions(r#"{"width":"640","height":480}"#), None);
        assert_eq!(dimensions("not json"), None);
    }
}
