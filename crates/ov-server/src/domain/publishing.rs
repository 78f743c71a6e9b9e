//! Publishing: `publishVideo`, a publisher's media reconnection, `unpublishVideo`.
//!
//! An operation that needs the engine is an async method of [`Binding`]: a check under
//! the session lock, the engine call with no lock held, and a commit under the lock
//! again. When the commit fails (the participant left meanwhile) the new engine peer is
//! released, so nothing is leaked.

use ov_protocol::ids::{ConnectionId, StreamId};
use ov_protocol::rest::{KurentoOptions, VideoCodec};
use ov_protocol::rpc::requests::PublishVideoParams;
use ov_protocol::rpc::{self, ParticipantPublished, notification, notify};
use serde_json::json;

use super::binding::{Binding, Reply};
use super::events::WebrtcRef;
use super::participant::{PublishedStream, StreamOptions};
use super::reason::Reason;
use super::services::{PeerOwner, PeerSide};
use super::{SessionState, SignalingError};
use crate::clock::now_ms;
use crate::config::StreamsConfig;
use crate::ids;
use crate::media::{ForcedCodec, PeerId, RecvBandwidth, VideoCodecChoice};

impl Binding {
    /// `publishVideo`: negotiates the browser's offer with the engine, then registers the
    /// stream, answers (`sdpAnswer`, `id`, `createdAt`) and announces it to the others.
    pub async fn publish(
        &self,
        params: PublishVideoParams,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let (video, limit) = self.lock().prepare_publish(&self.connection_id)?;
        let services = self.services();
        let (peer, answer) = services
            .media
            .add_publisher(&self.session.id, params.sdp_offer.clone(), video)
            .await?;
        if let Some(limit) = limit {
            services.media.set_recv_bandwidth(peer, limit);
        }
        self.lock()
            .commit_publish(
                &self.connection_id,
                params.stream_options(),
                peer,
                params.sdp_offer,
                answer,
                reply,
            )
            .inspect_err(|_| services.media.remove_peer(peer))
    }

    /// A publisher's media reconnection (`reconnectStream` of its own stream): a new
    /// offer from a new RTCPeerConnection replaces the old one in the engine, keeping the
    /// peer, the stream id and the subscribers; nobody else is told.
    pub async fn republish(
        &self,
        stream: &StreamId,
        offer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let (peer, video) = self.lock().prepare_republish(&self.connection_id, stream)?;
        let answer = self
            .services()
            .media
            .replace_publisher(peer, offer.clone(), video)
            .await?;
        self.lock()
            .commit_republish(&self.connection_id, offer, answer, reply)
    }

    /// `unpublishVideo`.
    pub fn unpublish(&self, reply: Reply<'_>) -> Result<(), SignalingError> {
        self.lock().unpublish(&self.connection_id, reply)
    }
}

impl SessionState {
    /// Whether `connection_id` may publish now; the video codecs to accept, and its own
    /// receive limits if its `kurentoOptions` set any.
    fn prepare_publish(
        &self,
        connection_id: &ConnectionId,
    ) -> Result<(VideoCodecChoice, Option<RecvBandwidth>), SignalingError> {
        let c = self.joined(connection_id)?;
        if !c.may_publish() {
            return Err(SignalingError::PublishNotAllowed);
        }
        let publishers = self
            .connections
            .iter()
            .filter(|c| {
                c.participant
                    .as_ref()
                    .is_some_and(|p| p.publisher.is_some())
            })
            .count();
        self.services
            .config
            .limits
            .check_session_publishers(publishers)
            .map_err(SignalingError::LimitReached)?;
        if c.participant
            .as_ref()
            .is_some_and(|p| p.publisher.is_some())
        {
            return Err(SignalingError::AlreadyPublishing);
        }
        let limit = c
            .settings
            .kurento_options
            .as_ref()
            .and_then(|k| own_recv_bandwidth(k, &self.services.config.streams));
        Ok((self.video_codecs(), limit))
    }

    /// Registers a published stream: answers the publisher (`sdpAnswer`, `id`,
    /// `createdAt`), then announces it to the others.
    fn commit_publish(
        &mut self,
        connection_id: &ConnectionId,
        options: StreamOptions,
        peer: PeerId,
        offer: String,
        answer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let session = self.session_ref();
        let services = self.services.clone();
        let owner = connection_id.clone();
        let p = self.joined_mut(connection_id)?;
        if p.publisher.is_some() {
            return Err(SignalingError::AlreadyPublishing);
        }
        let tag_source = options
            .has_video
            .then(|| options.type_of_video.as_deref().unwrap_or("CAMERA"));
        let stream = PublishedStream {
            id: ids::stream_id(tag_source, &owner),
            created_at: now_ms(),
            options,
            peer,
            remote_sdp: offer,
            local_sdp: answer,
        };
        p.send(reply.ok(json!({
            "sdpAnswer": stream.local_sdp,
            "id": stream.id,
            "createdAt": stream.created_at,
        })));
        let announce = ParticipantPublished {
            id: owner.clone(),
            streams: vec![stream.info()],
        };
        services.adopt_peer(
            peer,
            PeerOwner {
                session: session.id.clone(),
                connection: owner.clone(),
                stream: stream.id.clone(),
                side: PeerSide::Publication,
            },
        );
        services.events.webrtc_created(
            &session,
            WebrtcRef {
                stream_id: &stream.id,
                connection_id: &owner,
                receiving_from: None,
                options: &stream.options,
                created_at: stream.created_at,
            },
        );
        let hidden = p.hidden;
        let stream_id = stream.id.clone();
        p.publisher = Some(stream);
        if !hidden {
            self.notify_all(
                Some(&owner),
                &notify(notification::PARTICIPANT_PUBLISHED, &announce),
            );
        }
        tracing::info!(session_id = %self.id, connection_id = %owner, stream_id = %stream_id, %peer, "stream published");
        self.recording_on_publish(&owner);
        Ok(())
    }

    /// Before a publisher's media reconnection: its engine peer and the codecs to accept.
    fn prepare_republish(
        &self,
        connection_id: &ConnectionId,
        stream_id: &StreamId,
    ) -> Result<(PeerId, VideoCodecChoice), SignalingError> {
        let stream = self
            .participant(connection_id)
            .ok_or(SignalingError::Gone)?
            .publisher
            .as_ref()
            .filter(|s| s.id == *stream_id)
            .ok_or_else(|| SignalingError::NotOwnStream(stream_id.clone()))?;
        Ok((stream.peer, self.video_codecs()))
    }

    /// After a publisher's media reconnection: keeps the new SDPs and answers with the same
    /// stream id (nobody else is told: subscribers continue).
    fn commit_republish(
        &mut self,
        connection_id: &ConnectionId,
        offer: String,
        answer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let p = self.joined_mut(connection_id)?;
        let stream = p
            .publisher
            .as_mut()
            .ok_or(SignalingError::NoLongerPublishing)?;
        stream.remote_sdp = offer;
        stream.local_sdp = answer;
        let result =
            json!({"sdpAnswer": stream.local_sdp, "id": stream.id, "createdAt": stream.created_at});
        p.send(reply.ok(result));
        Ok(())
    }

    /// `unpublishVideo`.
    fn unpublish(
        &mut self,
        connection_id: &ConnectionId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let p = self.joined_mut(connection_id)?;
        if p.publisher.is_none() {
            return Err(SignalingError::NothingToUnpublish);
        }
        p.send(reply.ok(rpc::empty()));
        self.end_stream(connection_id, Reason::Unpublish);
        Ok(())
    }
}

impl SessionState {
    /// The engine's codec choice for the session's `forcedVideoCodec` and
    /// `allowTranscoding`: a forced codec is the only one accepted, or with
    /// `allowTranscoding` the one preferred (OpenVidu then lets an offer without it through
    /// unchanged; it transcodes with no media server but Kurento either).
    fn video_codecs(&self) -> VideoCodecChoice {
        let codec = match self.settings.forced_video_codec {
            VideoCodec::Vp8 => ForcedCodec::Vp8,
            VideoCodec::Vp9 => ForcedCodec::Vp9,
            VideoCodec::H264 => ForcedCodec::H264,
            VideoCodec::Av1 => ForcedCodec::Av1,
            VideoCodec::MediaServerPreferred | VideoCodec::None => {
                return VideoCodecChoice::Vp8Preferred;
            }
        };
        if self.settings.allow_transcoding {
            VideoCodecChoice::Prefer(codec)
        } else {
            VideoCodecChoice::Only(codec)
        }
    }
}

/// A connection's `kurentoOptions` receive limits (kbit/s; 0 or less: unconstrained), each
/// falling back to the server's; `None` when it sets neither.
fn own_recv_bandwidth(k: &KurentoOptions, streams: &StreamsConfig) -> Option<RecvBandwidth> {
    if k.video_max_recv_bandwidth.is_none() && k.video_min_recv_bandwidth.is_none() {
        return None;
    }
    let kbps = |own: Option<i32>, server: u32| {
        own.map_or(u64::from(server), |v| u64::try_from(v).unwrap_or(0))
    };
    Some(crate::media::recv_bandwidth(
        kbps(k.video_max_recv_bandwidth, streams.video_max_recv_bandwidth),
        kbps(k.video_min_recv_bandwidth, streams.video_min_recv_bandwidth),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streams() -> StreamsConfig {
        crate::config::Config::for_loopback("S").streams
    }

    #[test]
    fn kurento_options_override_the_server_receive_limits() {
        let s = streams();
        let own = |max, min| KurentoOptions {
            video_max_recv_bandwidth: max,
            video_min_recv_bandwidth: min,
            ..Default::default()
        };
        assert_eq!(own_recv_bandwidth(&own(None, None), &s), None);
        let server_min = u64::from(s.video_min_recv_bandwidth) * 1000;
        assert_eq!(
            own_recv_bandwidth(&own(Some(200), None), &s),
            Some(RecvBandwidth {
                max_bps: Some(200_000),
                min_bps: server_min
            })
        );
        // 0 (or less) is unconstrained, as in OpenVidu.
        assert_eq!(
            own_recv_bandwidth(&own(Some(0), Some(100)), &s),
            Some(RecvBandwidth {
                max_bps: None,
                min_bps: 100_000
            })
        );
        assert_eq!(
            own_recv_bandwidth(&own(Some(-5), None), &s)
                .unwrap()
                .max_bps,
            None
        );
    }
}
