//! A connection of a session: a token issued over REST, and, once somebody joined with it,
//! the participant using it.

use ov_protocol::ids::{ConnectionId, SessionId};
use ov_protocol::rest::{self, ConnectionStatus, WebRtcStats};
use serde_json::json;

use super::participant::Participant;
use super::settings::ConnectionSettings;
use crate::media::{MediaHandle, MediaKind, PeerId};

/// A connection: pending until a participant joins with its token.
#[derive(Debug)]
pub struct ConnectionState {
    /// Connection id (`con_…`).
    pub id: ConnectionId,
    /// Token id (`tok_…`), the key of `joinRoom`.
    pub token_id: String,
    /// Full token URL given to the application.
    pub token: String,
    /// Token creation time, epoch ms.
    pub created_at: u64,
    /// Properties.
    pub settings: ConnectionSettings,
    /// Minted for a join with the server secret: its role stays SUBSCRIBER, as OpenVidu
    /// reports it, yet it passes every permission check.
    pub insecure: bool,
    /// The participant, once joined.
    pub participant: Option<Participant>,
}

impl ConnectionState {
    /// Whether a participant joined with this connection's token.
    pub fn is_active(&self) -> bool {
        self.participant.is_some()
    }

    /// Whether this connection may publish (its role allows it, or it is insecure).
    pub fn may_publish(&self) -> bool {
        self.insecure || self.settings.role.can_publish()
    }

    /// Whether this connection may moderate (its role allows it, or it is insecure).
    pub fn may_moderate(&self) -> bool {
        self.insecure || self.settings.role.can_moderate()
    }

    /// Whether REST and other participants see this connection (not the recorder bot).
    pub fn is_visible(&self) -> bool {
        self.participant.as_ref().is_none_or(|p| !p.hidden)
    }

    /// The REST Connection object; with `stats`, publishers and subscribers carry WebRTC
    /// details.
    pub fn to_rest(&self, session_id: &SessionId, stats: Option<&MediaHandle>) -> rest::Connection {
        let s = &self.settings;
        let p = self.participant.as_ref();
        rest::Connection {
            id: self.id.clone(),
            object: "connection".into(),
            status: if p.is_some() {
                ConnectionStatus::Active
            } else {
                ConnectionStatus::Pending
            },
            connection_id: self.id.clone(),
            session_id: session_id.clone(),
            created_at: self.created_at,
            connection_type: s.connection_type,
            record: s.record,
            role: Some(s.role),
            kurento_options: s.kurento_options.clone(),
            custom_ice_servers: s.custom_ice_servers.clone(),
            rtsp_uri: None,
            adaptative_bitrate: None,
            only_play_with_subscribers: None,
            network_cache: None,
            server_data: Some(s.data.clone()),
            token: Some(self.token.clone()),
            active_at: p.map(|p| p.active_at),
            location: p.map(|_| "unknown".to_owned()),
            ip: p.map(|p| p.ip.clone()),
            platform: p.map(|p| p.platform.clone()),
            client_data: p.map(|p| p.client_data.clone()),
            publishers: p.map(|p| {
                p.publisher
                    .iter()
                    .map(|stream| {
                        stream.to_rest(stats.map(|m| {
                            webrtc_stats(
                                m,
                                stream.peer,
                                stream.id.to_string(),
                                Some(stream.local_sdp.clone()),
                                Some(stream.remote_sdp.clone()),
                                &p.client_candidates,
                            )
                        }))
                    })
                    .collect()
            }),
            subscribers: p.map(|p| {
                p.subscriptions
                    .iter()
                    .map(|sub| rest::Subscriber {
                        stream_id: sub.stream_id.clone(),
                        created_at: sub.created_at,
                        webrtc: stats.map(|m| {
                            webrtc_stats(
                                m,
                                sub.peer,
                                format!("{}_{}", self.id, sub.stream_id),
                                Some(sub.local_sdp.clone()),
                                sub.remote_sdp.clone(),
                                &[],
                            )
                        }),
                    })
                    .collect()
            }),
            network_quality_level: stats.and(p).and_then(|p| p.network_quality.level()),
        }
    }

    /// The legacy Token object of `POST /tokens`.
    pub fn to_rest_token(&self, session_id: &SessionId) -> rest::Token {
        rest::Token {
            id: self.token.clone(),
            token: self.token.clone(),
            created_at: self.created_at,
            connection_id: self.id.clone(),
            session: session_id.clone(),
            data: self.settings.data.clone(),
            role: self.settings.role,
            kurento_options: self.settings.kurento_options.clone(),
        }
    }
}

fn webrtc_stats(
    media: &MediaHandle,
    peer: PeerId,
    endpoint_name: String,
    local_sdp: Option<String>,
    remote_sdp: Option<String>,
    client_candidates: &[serde_json::Value],
) -> WebRtcStats {
    let stats = media.stats(peer);
    let udp = media
        .candidates(peer)
        .iter()
        .map(|addr| ("udp 2130706431", addr, ""));
    let tcp = media
        .tcp_candidates(peer)
        .iter()
        .map(|addr| ("tcp 1518280447", addr, " tcptype passive"));
    let server_candidates = udp
        .chain(tcp)
        .enumerate()
        .map(|(i, (transport, addr, tail))| {
            json!({"candidate": format!("candidate:{} 1 {transport} {} {} typ host{tail}", i + 1, addr.ip(), addr.port()),
                   "sdpMid": "0", "sdpMLineIndex": 0})
        })
        .collect();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let server_stats = stats.as_ref().map(|s| {
        json!({
            "connected": s.connected,
            "bytesReceived": s.bytes_received,
            "bytesSent": s.bytes_sent,
            "rttMs": s.rtt.map(ms),
            "audioLevel": s.audio_level,
            "speaking": s.speaking,
            "layerShortfall": s.layer_shortfall,
            "videoPaused": s.video_paused,
            "tracks": s.tracks.iter().map(|t| json!({
                "mid": t.mid, "rid": t.rid, "kind": t.kind.map(|k| match k {
                    MediaKind::Audio => "audio",
                    MediaKind::Video => "video",
                }),
                "packets": t.packets, "bytes": t.bytes, "nacks": t.nacks,
                "plis": t.plis, "firs": t.firs, "loss": t.loss, "upstreamLoss": t.upstream_loss,
                "rttMs": t.rtt.map(ms), "jitterMs": t.jitter.map(ms),
            })).collect::<Vec<_>>(),
        })
    });
    WebRtcStats {
        webrtc_endpoint_name: endpoint_name,
        local_sdp,
        remote_sdp,
        client_ice_candidates: client_candidates.to_vec(),
        server_ice_candidates: server_candidates,
        local_candidate: stats.as_ref().and_then(|s| s.local_candidate.clone()),
        remote_candidate: stats.as_ref().and_then(|s| s.remote_candidate.clone()),
        events: Vec::new(),
        server_stats,
    }
}
