//! A joined participant: its socket, its published stream and its subscriptions.

use ov_protocol::ids::{ConnectionId, StreamId};
use ov_protocol::rest::{self, MediaOptions};
pub use ov_protocol::rpc::StreamOptions;
use ov_protocol::rpc::{RemoteConnection, StreamInfo};
use serde_json::Value;

use super::outbox::Delivery;
use crate::media::{NetworkQuality, PeerId};
use crate::rate::TokenBucket;

/// What a participant adds to its connection once it joined.
#[derive(Debug)]
pub struct Participant {
    /// JSON-RPC session id, the key of a reconnection.
    pub rpc_session_id: String,
    /// Time of `joinRoom`, epoch ms.
    pub active_at: u64,
    /// Client IP address.
    pub ip: String,
    /// Client platform.
    pub platform: String,
    /// Client data (`joinRoom.metadata`).
    pub client_data: String,
    /// Hidden from the others (the recording bot).
    pub hidden: bool,
    /// Where its frames go.
    pub delivery: Delivery,
    /// Its published stream.
    pub publisher: Option<PublishedStream>,
    /// Streams it receives.
    pub subscriptions: Vec<Subscription>,
    /// Candidates the client trickled, for `webRtcStats`.
    pub client_candidates: Vec<Value>,
    /// Its signal rate, when limited.
    pub signal_rate: Option<TokenBucket>,
    /// Its network quality, sampled from its peers' statistics.
    pub network_quality: NetworkQuality,
}

/// A stream published by a participant.
#[derive(Debug)]
pub struct PublishedStream {
    /// Stream id.
    pub id: StreamId,
    /// Publication time, epoch ms.
    pub created_at: u64,
    /// Options.
    pub options: StreamOptions,
    /// Media engine peer receiving it.
    pub peer: PeerId,
    /// The browser's offer.
    pub remote_sdp: String,
    /// The server's answer.
    pub local_sdp: String,
}

/// A stream a participant receives.
#[derive(Debug)]
pub struct Subscription {
    /// The stream received.
    pub stream_id: StreamId,
    /// Its publisher's connection id.
    pub publisher_connection: ConnectionId,
    /// Subscription time, epoch ms.
    pub created_at: u64,
    /// Media engine peer sending it.
    pub peer: PeerId,
    /// The server's offer.
    pub local_sdp: String,
    /// The browser's answer, once given.
    pub remote_sdp: Option<String>,
    /// Whether the answer was accepted (`webrtcConnectionCreated` was reported).
    pub established: bool,
    /// The size the subscriber shows it at, device pixels, if it reported one
    /// (`updateSubscription`).
    pub shown: Option<(u32, u32)>,
}

impl Participant {
    /// Queues a frame for this participant.
    pub fn send(&mut self, frame: String) {
        self.delivery.send(frame);
    }
}

impl PublishedStream {
    /// The stream as participants see it.
    pub fn info(&self) -> StreamInfo {
        StreamInfo {
            id: self.id.clone(),
            created_at: self.created_at,
            options: self.options.clone(),
        }
    }

    /// REST media options (keys present according to what the stream has).
    pub fn media_options(&self) -> MediaOptions {
        let o = &self.options;
        MediaOptions {
            has_audio: o.has_audio,
            audio_active: o.has_audio.then_some(o.audio_active),
            has_video: o.has_video,
            video_active: o.has_video.then_some(o.video_active),
            type_of_video: o.has_video.then(|| o.type_of_video.clone()),
            frame_rate: o.has_video.then_some(Some(o.frame_rate)),
            video_dimensions: o.has_video.then(|| o.video_dimensions.clone()),
            filter: o.filter.clone(),
        }
    }

    /// The REST Publisher object.
    pub fn to_rest(&self, webrtc: Option<rest::WebRtcStats>) -> rest::Publisher {
        rest::Publisher {
            stream_id: self.id.clone(),
            created_at: self.created_at,
            media_options: self.media_options(),
            webrtc,
        }
    }
}

/// The remote view of a participant (for `joinRoom.value` and `participantJoined`).
pub fn remote_view(
    id: &ConnectionId,
    participant: &Participant,
    server_data: &str,
    with_stream: bool,
) -> RemoteConnection {
    RemoteConnection {
        id: id.clone(),
        created_at: participant.active_at,
        metadata: ov_protocol::rpc::full_metadata(&participant.client_data, server_data),
        streams: participant
            .publisher
            .as_ref()
            .filter(|_| with_stream)
            .map(|p| vec![p.info()]),
    }
}
