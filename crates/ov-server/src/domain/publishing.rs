//! Publishing and subscribing: the media side of a participant, around the media engine.
//!
//! Each operation that needs the engine is split in two: a check under the session lock
//! before the (asynchronous) engine call, and a commit under the lock after it. The caller
//! closes the engine peer when the commit fails (the participant left meanwhile).

use ov_protocol::rest::VideoCodec;
use ov_protocol::rpc::{
    self, ConnectionReason, ErrorCode, ParticipantPublished, notification, notify,
};
use serde_json::json;

use super::events::WebrtcRef;
use super::eviction::Reason;
use super::participant::{PublishedStream, StreamOptions, Subscription};
use super::signaling::{Binding, Reply};
use super::{DomainError, Registry, SessionState, SignalingError};
use crate::clock::now_ms;
use crate::ids;
use crate::media::{PeerId, VideoCodecChoice};

fn not_streaming(what: &str) -> SignalingError {
    SignalingError::new(ErrorCode::UserNotStreaming, what.to_owned())
}

impl Registry {
    /// Whether the bound participant may publish now; the video codecs to accept.
    pub fn prepare_publish(&self, binding: &Binding) -> Result<VideoCodecChoice, SignalingError> {
        let state = binding.session.lock();
        let c = state
            .connection(&binding.connection_id)
            .filter(|c| c.is_active())
            .ok_or_else(SignalingError::gone)?;
        if !c.settings.role.can_publish() {
            return Err(SignalingError::new(
                ErrorCode::UserUnauthorized,
                "Unable to publish video. The user does not have a valid token",
            ));
        }
        if c.participant
            .as_ref()
            .is_some_and(|p| p.publisher.is_some())
        {
            return Err(SignalingError::new(
                ErrorCode::UserAlreadyStreaming,
                "Unable to publish video: this connection is already publishing a stream",
            ));
        }
        Ok(codec_choice(state.settings.forced_video_codec))
    }

    /// Registers a published stream: answers the publisher (`sdpAnswer`, `id`,
    /// `createdAt`), then announces it to the others.
    pub fn commit_publish(
        &self,
        binding: &Binding,
        options: StreamOptions,
        peer: PeerId,
        offer: String,
        answer: String,
        reply: Reply<'_>,
    ) -> Result<String, SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        if p.publisher.is_some() {
            return Err(SignalingError::new(
                ErrorCode::UserAlreadyStreaming,
                "Unable to publish video: this connection is already publishing a stream",
            ));
        }
        let tag_source = if options.has_video {
            Some(options.type_of_video.as_deref().unwrap_or("CAMERA"))
        } else {
            None
        };
        let stream = PublishedStream {
            id: ids::stream_id(tag_source, &binding.connection_id),
            created_at: now_ms(),
            options,
            peer,
            remote_sdp: offer,
            local_sdp: answer,
        };
        let stream_id = stream.id.clone();
        p.send(reply.ok(json!({
            "sdpAnswer": stream.local_sdp,
            "id": stream.id,
            "createdAt": stream.created_at,
        })));
        let announce = ParticipantPublished {
            id: binding.connection_id.clone(),
            streams: vec![stream.info()],
        };
        let hidden = p.hidden;
        let created = (stream.created_at, stream.options.clone());
        p.publisher = Some(stream);
        self.events.webrtc_created(
            &state.session_ref(),
            WebrtcRef {
                stream_id: &stream_id,
                connection_id: &binding.connection_id,
                receiving_from: None,
                options: &created.1,
                created_at: created.0,
            },
        );
        if !hidden {
            state.notify_all(
                Some(&binding.connection_id),
                &notify(notification::PARTICIPANT_PUBLISHED, &announce),
            );
        }
        tracing::info!(session_id = %binding.session.id, connection_id = %binding.connection_id, stream_id = %stream_id, "stream published");
        Ok(stream_id)
    }

    /// Before a publisher's media reconnection (`reconnectStream` of its own stream): its
    /// engine peer and the codecs to accept.
    pub fn prepare_republish(
        &self,
        binding: &Binding,
        stream_id: &str,
    ) -> Result<(PeerId, VideoCodecChoice), SignalingError> {
        let state = binding.session.lock();
        let video = codec_choice(state.settings.forced_video_codec);
        let stream = state
            .connection(&binding.connection_id)
            .and_then(|c| c.participant.as_ref())
            .ok_or_else(SignalingError::gone)?
            .publisher
            .as_ref()
            .filter(|s| s.id == stream_id)
            .ok_or_else(|| {
                not_streaming(&format!(
                    "Stream {stream_id} is not published by this connection"
                ))
            })?;
        Ok((stream.peer, video))
    }

    /// After a publisher's media reconnection: keeps the new SDPs and answers with the same
    /// stream id (nobody else is told: subscribers continue).
    pub fn commit_republish(
        &self,
        binding: &Binding,
        offer: String,
        answer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        let stream = p
            .publisher
            .as_mut()
            .ok_or_else(|| not_streaming("This connection is no longer publishing"))?;
        stream.remote_sdp = offer;
        stream.local_sdp = answer;
        let result =
            json!({"sdpAnswer": stream.local_sdp, "id": stream.id, "createdAt": stream.created_at});
        p.send(reply.ok(result));
        Ok(())
    }

    /// `unpublishVideo`.
    pub fn unpublish(&self, binding: &Binding, reply: Reply<'_>) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        if p.publisher.is_none() {
            return Err(not_streaming(
                "Unable to unpublish: this connection is not publishing",
            ));
        }
        p.send(reply.ok(rpc::empty()));
        self.end_stream(&mut state, &binding.connection_id, Reason::Unpublish);
        Ok(())
    }

    /// `forceUnpublish` by a moderator.
    pub fn force_unpublish(
        &self,
        binding: &Binding,
        stream_id: &str,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        state.require_moderator(&binding.connection_id, "force unpublish")?;
        let owner = owner_of(&state, stream_id).ok_or_else(|| {
            SignalingError::new(
                ErrorCode::UserNotFound,
                format!(
                    "Stream {stream_id} is not published in session {}",
                    binding.session.id
                ),
            )
        })?;
        state.send_to(&binding.connection_id, reply.ok(rpc::empty()));
        self.end_stream(&mut state, &owner, Reason::ForceUnpublishByUser);
        Ok(())
    }

    /// REST `DELETE /sessions/{id}/stream/{streamId}`.
    pub fn force_unpublish_by_server(
        &self,
        session_id: &str,
        stream_id: &str,
    ) -> Result<(), DomainError> {
        let handle = self
            .session(session_id)
            .ok_or_else(|| DomainError::SessionNotFound(session_id.to_owned()))?;
        let mut state = handle.lock();
        if state.closed {
            return Err(DomainError::SessionNotFound(session_id.to_owned()));
        }
        let owner = owner_of(&state, stream_id).ok_or_else(|| DomainError::StreamNotFound {
            session: session_id.to_owned(),
            stream: stream_id.to_owned(),
        })?;
        self.end_stream(&mut state, &owner, Reason::ForceUnpublishByServer);
        Ok(())
    }

    /// Ends the stream of `owner`: closes its media and its subscriptions, and sends
    /// `participantUnpublished` (to the others for `unpublish`, to everyone when forced,
    /// so that the owner's browser drops its publisher).
    fn end_stream(&self, state: &mut SessionState, owner: &str, reason: Reason) {
        let Some(stream) = state
            .participant_mut(owner)
            .and_then(|p| p.publisher.take())
        else {
            return;
        };
        self.release_stream(state, owner, &stream, reason);
        let frame = notify(
            notification::PARTICIPANT_UNPUBLISHED,
            ConnectionReason {
                connection_id: owner.to_owned(),
                reason: reason.as_str().to_owned(),
            },
        );
        let except = (reason == Reason::Unpublish).then_some(owner);
        state.notify_all(except, &frame);
        tracing::info!(connection_id = owner, stream_id = %stream.id, reason = reason.as_str(), "stream ended");
    }

    /// Before subscribing to `stream_id`: the publisher's media peer.
    pub fn prepare_subscribe(
        &self,
        binding: &Binding,
        stream_id: &str,
    ) -> Result<PeerId, SignalingError> {
        let state = binding.session.lock();
        if !state
            .connection(&binding.connection_id)
            .is_some_and(|c| c.is_active())
        {
            return Err(SignalingError::gone());
        }
        let owner = ov_protocol::ids::connection_id_of_stream(stream_id)
            .and_then(|id| state.connection(id))
            .filter(|c| c.is_active())
            .ok_or_else(|| {
                SignalingError::new(
                    ErrorCode::UserNotFound,
                    format!("The publisher of stream {stream_id} is not in the session"),
                )
            })?;
        owner
            .participant
            .as_ref()
            .and_then(|p| p.publisher.as_ref())
            .filter(|s| s.id == stream_id)
            .map(|s| s.peer)
            .ok_or_else(|| not_streaming(&format!("Stream {stream_id} is not being published")))
    }

    /// Records a new subscription (replacing an older one to the same stream).
    pub fn commit_subscribe(
        &self,
        binding: &Binding,
        stream_id: &str,
        peer: PeerId,
        offer: String,
    ) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        let publisher_connection = ov_protocol::ids::connection_id_of_stream(stream_id)
            .unwrap_or_default()
            .to_owned();
        let still_published = state
            .connection(&publisher_connection)
            .and_then(|c| c.participant.as_ref())
            .and_then(|p| p.publisher.as_ref())
            .is_some_and(|s| s.id == stream_id);
        if !still_published {
            return Err(not_streaming(&format!(
                "Stream {stream_id} is not being published"
            )));
        }
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        // A new subscription to the same stream is a media reconnection: it replaces the
        // old peer silently (no webhook events), as OpenVidu's reconnections do.
        let (created_at, established) = match p
            .subscriptions
            .iter()
            .position(|s| s.stream_id == stream_id)
        {
            Some(old) => {
                let old = p.subscriptions.remove(old);
                self.media().remove_peer(old.peer);
                (old.created_at, old.established)
            }
            None => (now_ms(), false),
        };
        p.subscriptions.push(Subscription {
            stream_id: stream_id.to_owned(),
            publisher_connection,
            created_at,
            peer,
            local_sdp: offer,
            remote_sdp: None,
            established,
        });
        Ok(())
    }

    /// The subscription to `stream_id` waiting for its answer.
    pub fn subscription_peer(
        &self,
        binding: &Binding,
        stream_id: &str,
    ) -> Result<PeerId, SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        p.subscriptions
            .iter()
            .find(|s| s.stream_id == stream_id)
            .map(|s| s.peer)
            .ok_or_else(|| {
                SignalingError::new(
                    ErrorCode::UserNotFound,
                    format!("No subscription to {stream_id} is being negotiated: call prepareReceiveVideoFrom first"),
                )
            })
    }

    /// Keeps the browser's answer of an accepted subscription (for `webRtcStats`) and
    /// reports the new connection (`webrtcConnectionCreated`, INBOUND).
    pub fn record_subscription_answer(&self, binding: &Binding, stream_id: &str, answer: String) {
        let mut state = binding.session.lock();
        let options = state.stream_options(stream_id);
        let session = state.session_ref();
        let Some(s) = state.participant_mut(&binding.connection_id).and_then(|p| {
            p.subscriptions
                .iter_mut()
                .find(|s| s.stream_id == stream_id)
        }) else {
            return;
        };
        s.remote_sdp = Some(answer);
        if !s.established
            && let Some(options) = options
        {
            s.established = true;
            self.events.webrtc_created(
                &session,
                WebrtcRef {
                    stream_id,
                    connection_id: &binding.connection_id,
                    receiving_from: Some(&s.publisher_connection),
                    options: &options,
                    created_at: s.created_at,
                },
            );
        }
    }

    /// `unsubscribeFromVideo` (by the publisher's connection id).
    pub fn unsubscribe(
        &self,
        binding: &Binding,
        publisher_connection: &str,
    ) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut p.subscriptions)
            .into_iter()
            .partition(|s| s.publisher_connection == publisher_connection);
        p.subscriptions = kept;
        let session = state.session_ref();
        for s in &gone {
            let options = s
                .established
                .then(|| state.stream_options(&s.stream_id))
                .flatten();
            self.end_subscription(
                &session,
                &binding.connection_id,
                s,
                options.as_ref(),
                Reason::Unsubscribe,
            );
        }
        if gone.is_empty() {
            return Err(SignalingError::new(
                ErrorCode::UserNotFound,
                format!("Not subscribed to any stream of {publisher_connection}"),
            ));
        }
        Ok(())
    }
}

/// The connection publishing `stream_id`.
fn owner_of(state: &SessionState, stream_id: &str) -> Option<String> {
    state
        .connections
        .iter()
        .find(|c| {
            c.participant
                .as_ref()
                .and_then(|p| p.publisher.as_ref())
                .is_some_and(|s| s.id == stream_id)
        })
        .map(|c| c.id.clone())
}

/// The engine's codec choice for a session's `forcedVideoCodec`.
fn codec_choice(forced: VideoCodec) -> VideoCodecChoice {
    match forced {
        VideoCodec::Vp8 => VideoCodecChoice::Vp8,
        VideoCodec::Vp9 => VideoCodecChoice::Vp9,
        VideoCodec::H264 => VideoCodecChoice::H264,
        VideoCodec::MediaServerPreferred | VideoCodec::None => VideoCodecChoice::Vp8Preferred,
    }
}
