//! Why a participant left or a stream ended: OpenVidu's `EndReason` names.

use ov_media::CloseReason;

/// OpenVidu's `EndReason`s that openvidu-rs produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `leaveRoom`.
    Disconnect,
    /// A moderator's `forceDisconnect`.
    ForceDisconnectByUser,
    /// REST `DELETE …/connection/{id}`.
    ForceDisconnectByServer,
    /// REST `DELETE /sessions/{id}`.
    SessionClosedByServer,
    /// The socket dropped and did not come back in time; or a media connection lost its
    /// network and did not come back.
    NetworkDisconnect,
    /// The media server ended a media connection for a reason of its own: it never
    /// connected, or it failed or was closed and its browser did not reconnect it.
    MediaServerDisconnect,
    /// `unpublishVideo`.
    Unpublish,
    /// A moderator's `forceUnpublish`.
    ForceUnpublishByUser,
    /// REST `DELETE …/stream/{id}`.
    ForceUnpublishByServer,
    /// `unsubscribeFromVideo`.
    Unsubscribe,
}

impl Reason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Disconnect => "disconnect",
            Reason::ForceDisconnectByUser => "forceDisconnectByUser",
            Reason::ForceDisconnectByServer => "forceDisconnectByServer",
            Reason::SessionClosedByServer => "sessionClosedByServer",
            Reason::NetworkDisconnect => "networkDisconnect",
            Reason::MediaServerDisconnect => "mediaServerDisconnect",
            Reason::Unpublish => "unpublish",
            Reason::ForceUnpublishByUser => "forceUnpublishByUser",
            Reason::ForceUnpublishByServer => "forceUnpublishByServer",
            Reason::Unsubscribe => "unsubscribe",
        }
    }

    /// Whether the participant is told it was evicted (`participantEvicted`).
    pub fn evicts(self) -> bool {
        matches!(
            self,
            Reason::ForceDisconnectByUser
                | Reason::ForceDisconnectByServer
                | Reason::SessionClosedByServer
        )
    }

    /// Whether the owner of an ended stream is told too (`participantUnpublished`), so its
    /// browser drops its Publisher: everything but its own `unpublishVideo`.
    pub fn tells_owner(self) -> bool {
        self != Reason::Unpublish
    }
}

impl From<CloseReason> for Reason {
    /// A peer that was connected and lost its network ended for `networkDisconnect`; one
    /// that never connected, or whose DTLS failed or was closed, for
    /// `mediaServerDisconnect` (OpenVidu has no closer name for either).
    fn from(reason: CloseReason) -> Self {
        match reason {
            CloseReason::DisconnectTimeout => Reason::NetworkDisconnect,
            CloseReason::ConnectTimeout | CloseReason::Failed => Reason::MediaServerDisconnect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_closes_map_to_openvidu_reasons() {
        assert_eq!(
            Reason::from(CloseReason::DisconnectTimeout).as_str(),
            "networkDisconnect"
        );
        for close in [CloseReason::ConnectTimeout, CloseReason::Failed] {
            assert_eq!(Reason::from(close).as_str(), "mediaServerDisconnect");
        }
        assert!(!Reason::Unpublish.tells_owner());
        assert!(Reason::MediaServerDisconnect.tells_owner());
        assert!(!Reason::MediaServerDisconnect.evicts());
    }
}
