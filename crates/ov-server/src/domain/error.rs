//! Errors of operations on sessions and connections. REST maps [`DomainError`] to status
//! codes; every signaling failure is a [`SignalingError`] variant, whose message is its
//! `Display` and whose JSON-RPC code comes from [`SignalingError::code`]: one mapping.

use ov_protocol::ids::{ConnectionId, SessionId, StreamId};
use ov_protocol::rpc::ErrorCode;
use ov_protocol::rpc::requests::ParamsError;

use crate::config::Limit;
use crate::media::{MediaError, MediaRequestError};

/// What went wrong in a session operation of the REST API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// No session with that id (or it is closing).
    #[error("session '{0}' not found")]
    SessionNotFound(SessionId),
    /// A session with that custom id exists already.
    #[error("session '{0}' already exists")]
    SessionExists(SessionId),
    /// No connection with that id in the session.
    #[error("connection '{connection}' not found in session '{session}'")]
    ConnectionNotFound {
        /// Session id.
        session: SessionId,
        /// Connection id asked for.
        connection: ConnectionId,
    },
    /// No stream with that id in the session.
    #[error("stream '{stream}' not found in session '{session}'")]
    StreamNotFound {
        /// Session id.
        session: SessionId,
        /// Stream id asked for.
        stream: StreamId,
    },
    /// The session exists but nobody has joined it.
    #[error("session '{0}' has no connected participants")]
    NoParticipants(SessionId),
    /// Some recipients of a signal are not connected to the session.
    #[error("\"to\" array has no valid connection identifiers: {0:?}")]
    UnknownRecipients(Vec<ConnectionId>),
    /// A request parameter is not acceptable.
    #[error("{0}")]
    InvalidParameter(String),
    /// A capacity limit of the deployment.
    #[error("{0}")]
    LimitReached(Limit),
}

/// A signaling (JSON-RPC) failure. The variant names the failure; [`SignalingError::code`]
/// gives OpenVidu's code for it and `Display` the message for the developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalingError {
    // --- The frame itself -------------------------------------------------------------
    /// The frame is not JSON, or not a JSON-RPC object.
    #[error("Frame is not JSON-RPC 2.0: {0}")]
    NotJsonRpc(String),
    /// `jsonrpc` is not `"2.0"`.
    #[error("Requests must carry \"jsonrpc\": \"2.0\"")]
    WrongJsonRpcVersion,
    /// No `method`.
    #[error("Request has no \"method\"")]
    NoMethod,
    /// A method the server does not know.
    #[error("Unknown method '{0}'")]
    UnknownMethod(String),
    /// A required parameter is absent.
    #[error(
        "Request element '{key}' is missing in RPC method '{method}'. Check that 'openvidu-server' and 'openvidu-browser' versions are compatible with each other"
    )]
    MissingParam {
        /// Method.
        method: &'static str,
        /// Parameter.
        key: String,
    },
    /// A parameter over its size cap (`ov_protocol::rpc::limits`).
    #[error(
        "Request element '{key}' of RPC method '{method}' is too large: {size} bytes, at most {max}"
    )]
    ParamTooLong {
        /// Method.
        method: &'static str,
        /// Parameter.
        key: String,
        /// Its size in bytes.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// A parameter of the wrong JSON type.
    #[error("Request element '{key}' of RPC method '{method}' must be {expected}")]
    WrongParamType {
        /// Method.
        method: &'static str,
        /// Parameter.
        key: String,
        /// What it must be.
        expected: String,
    },

    // --- Joining and the socket's participant ----------------------------------------
    /// A request other than `joinRoom`/`connect` on a socket that has not joined.
    #[error(
        "No connection found for this socket. Method 'Session.connect()' must be the first operation called in any session"
    )]
    NotJoined,
    /// `joinRoom` on a socket that has joined already.
    #[error("This socket has already joined a session; call leaveRoom first")]
    AlreadyJoined,
    /// `joinRoom` of an unknown session.
    #[error("Unable to join session. Session {0} cannot be found")]
    SessionNotFound(SessionId),
    /// `joinRoom` of a session that is closing.
    #[error("Unable to join the session. Session {0} is closed")]
    SessionClosed(SessionId),
    /// `joinRoom` with a token that is unknown or used.
    #[error("Unable to join session {session}. Token {token} is not valid")]
    InvalidToken {
        /// Session.
        session: SessionId,
        /// The token given.
        token: String,
    },
    /// A secret join of a connection id that is in the session already.
    #[error("Connection {connection} is already in session {session}")]
    ConnectionInUse {
        /// Session.
        session: SessionId,
        /// Connection.
        connection: ConnectionId,
    },
    /// The default connection settings cannot be resolved for a secret join.
    #[error("{0}")]
    ConnectionSettings(String),
    /// `connect` with an unknown or expired RPC session.
    #[error("reconnection error")]
    ReconnectionFailed,
    /// The caller's participant is no longer in its session (evicted meanwhile).
    #[error("This participant is no longer in the session")]
    Gone,

    // --- Permissions --------------------------------------------------------------
    /// A moderation request of a non-moderator.
    #[error("Unable to {action}. The user does not have a valid token")]
    NotModerator {
        /// What it tried, e.g. `force disconnect`.
        action: &'static str,
    },
    /// `publishVideo` of a SUBSCRIBER.
    #[error("Unable to publish video. The user does not have a valid token")]
    PublishNotAllowed,

    // --- Streams and subscriptions -------------------------------------------------
    /// A second `publishVideo` on one connection.
    #[error("Unable to publish video: this connection is already publishing a stream")]
    AlreadyPublishing,
    /// `unpublishVideo` without a stream.
    #[error("Unable to unpublish: this connection is not publishing")]
    NothingToUnpublish,
    /// `streamPropertyChanged` without a stream.
    #[error("streamPropertyChanged: this participant is not publishing")]
    NoStreamToChange,
    /// A publisher reconnection of a stream the caller does not publish.
    #[error("Stream {0} is not published by this connection")]
    NotOwnStream(StreamId),
    /// The stream ended while its publisher reconnected.
    #[error("This connection is no longer publishing")]
    NoLongerPublishing,
    /// A subscription to a stream that is not (or no longer) published.
    #[error("Stream {0} is not being published")]
    StreamNotPublished(StreamId),
    /// A subscription to a stream whose publisher is not in the session.
    #[error("The publisher of stream {0} is not in the session")]
    PublisherNotInSession(StreamId),
    /// An answer for a subscription that was never offered.
    #[error("No subscription to {0} is being negotiated: call prepareReceiveVideoFrom first")]
    NoSubscription(StreamId),
    /// `unsubscribeFromVideo` of a publisher one does not receive.
    #[error("Not subscribed to any stream of {0}")]
    NotSubscribed(ConnectionId),
    /// Moderation of a connection that is not in the session.
    #[error("Connection {connection} is not in session {session}")]
    ConnectionNotInSession {
        /// Session.
        session: SessionId,
        /// Connection.
        connection: ConnectionId,
    },
    /// Moderation of a stream that is not published in the session.
    #[error("Stream {stream} is not published in session {session}")]
    StreamNotInSession {
        /// Session.
        session: SessionId,
        /// Stream.
        stream: StreamId,
    },
    /// `receiveVideoFrom` with a browser offer (Kurento mode).
    #[error(
        "openvidu-rs offers subscriptions itself (mediaServer 'mediasoup'): call prepareReceiveVideoFrom and send its answer as 'sdpAnswer'"
    )]
    ServerOffersSubscriptions,
    /// A subscriber's `reconnectStream` without the answer.
    #[error(
        "openvidu-rs offers subscriptions itself (mediaServer 'mediasoup'): call prepareReceiveVideoFrom with reconnect=true and send its answer as 'sdpString'"
    )]
    ServerOffersResubscriptions,
    /// `streamPropertyChanged` whose value has the wrong type for its property.
    #[error("streamPropertyChanged: wrong type of 'newValue' for '{0}'")]
    PropertyValueType(String),

    // --- Media ---------------------------------------------------------------------
    /// The engine refused an SDP or candidate.
    #[error("{0}")]
    Media(MediaError),
    /// The media task is gone (the server is stopping).
    #[error("the media server is not running")]
    MediaStopped,

    // --- Signals -------------------------------------------------------------------
    /// `sendMessage` whose message is not JSON.
    #[error("Signal message is not valid JSON: {0}")]
    SignalNotJson(String),
    /// `to` is not an array of strings.
    #[error("Signal 'to' must be an array of connection ids")]
    SignalRecipientsNotArray,
    /// `data` or `type` is over its cap.
    #[error("Signal {field} is too large: {size} bytes, at most {max}")]
    SignalTooLarge {
        /// `data` or `type`.
        field: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Recipients that are not in the session.
    #[error("Signal 'to' has connections not in the session: {0:?}")]
    SignalRecipientsUnknown(Vec<ConnectionId>),

    // --- Features openvidu-rs does not have ------------------------------------------
    /// Kurento filters.
    #[error("Media filters are a Kurento feature and are not available in openvidu-rs")]
    FiltersUnavailable,
    /// A capacity or rate limit of the deployment.
    #[error("{0}")]
    LimitReached(Limit),
    /// OpenVidu Pro's speech to text.
    #[error("Speech to text is an OpenVidu Pro feature, not available in openvidu-rs")]
    SpeechToTextUnavailable,
}

impl SignalingError {
    /// OpenVidu's JSON-RPC code for this failure.
    pub fn code(&self) -> ErrorCode {
        use SignalingError::*;
        match self {
            NotJsonRpc(_) => ErrorCode::ParseError,
            WrongJsonRpcVersion | NoMethod => ErrorCode::InvalidRequest,
            UnknownMethod(_) => ErrorCode::MethodNotFound,
            MissingParam { .. } | WrongParamType { .. } | PropertyValueType(_) => {
                ErrorCode::Uncaught
            }
            // The code OpenVidu gives a bad element of the same kind.
            ParamTooLong { method, key, .. } => match (*method, key.as_str()) {
                (ov_protocol::rpc::method::JOIN_ROOM, "metadata") => {
                    ErrorCode::UserMetadataFormatInvalid
                }
                (ov_protocol::rpc::method::SEND_MESSAGE, _) => ErrorCode::SignalFormatInvalid,
                _ => ErrorCode::Uncaught,
            },
            NotJoined => ErrorCode::TransportError,
            AlreadyJoined | ConnectionInUse { .. } => ErrorCode::ExistingUserInRoom,
            SessionNotFound(_) => ErrorCode::RoomNotFound,
            SessionClosed(_) => ErrorCode::RoomClosed,
            InvalidToken { .. } | NotModerator { .. } | PublishNotAllowed => {
                ErrorCode::UserUnauthorized
            }
            ConnectionSettings(_) => ErrorCode::TokenCannotBeCreated,
            ReconnectionFailed => ErrorCode::ReconnectionError,
            Gone => ErrorCode::Generic,
            AlreadyPublishing => ErrorCode::UserAlreadyStreaming,
            NothingToUnpublish
            | NoStreamToChange
            | NotOwnStream(_)
            | NoLongerPublishing
            | StreamNotPublished(_) => ErrorCode::UserNotStreaming,
            PublisherNotInSession(_)
            | NoSubscription(_)
            | NotSubscribed(_)
            | ConnectionNotInSession { .. }
            | StreamNotInSession { .. } => ErrorCode::UserNotFound,
            Media(MediaError::CodecNotOffered(_)) => ErrorCode::ForcedCodecNotFoundInSdpOffer,
            ServerOffersSubscriptions | ServerOffersResubscriptions | Media(_) => {
                ErrorCode::MediaSdp
            }
            MediaStopped => ErrorCode::MediaGeneric,
            SignalNotJson(_) | SignalRecipientsNotArray | SignalTooLarge { .. } => {
                ErrorCode::SignalFormatInvalid
            }
            SignalRecipientsUnknown(_) => ErrorCode::SignalToInvalid,
            FiltersUnavailable => ErrorCode::FilterNotApplied,
            // Refused as an operation the participant may not do now.
            LimitReached(_) => ErrorCode::UserUnauthorized,
            SpeechToTextUnavailable => ErrorCode::WrongOpenviduEdition,
        }
    }
}

impl From<ParamsError> for SignalingError {
    fn from(e: ParamsError) -> Self {
        match e {
            ParamsError::Missing { method, key } => SignalingError::MissingParam { method, key },
            ParamsError::WrongType {
                method,
                key,
                expected,
            } => SignalingError::WrongParamType {
                method,
                key,
                expected,
            },
            ParamsError::TooLong {
                method,
                key,
                size,
                max,
            } => SignalingError::ParamTooLong {
                method,
                key,
                size,
                max,
            },
        }
    }
}

impl From<MediaRequestError> for SignalingError {
    fn from(e: MediaRequestError) -> Self {
        match e {
            MediaRequestError::Media(m) => SignalingError::Media(m),
            MediaRequestError::Stopped => SignalingError::MediaStopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_come_from_one_mapping() {
        let e = SignalingError::from(ParamsError::Missing {
            method: "publishVideo",
            key: "sdpOffer".into(),
        });
        assert_eq!(e.code().code(), -1);
        assert!(
            e.to_string()
                .starts_with("Request element 'sdpOffer' is missing in RPC method 'publishVideo'")
        );
        let e = SignalingError::SignalRecipientsUnknown(vec!["con_X".into()]);
        assert_eq!(
            (e.code().code(), e.to_string()),
            (
                601,
                "Signal 'to' has connections not in the session: [\"con_X\"]".to_owned()
            )
        );
        assert_eq!(SignalingError::NotJoined.code().code(), 803);
        assert_eq!(SignalingError::PublishNotAllowed.code().code(), 401);
        assert_eq!(
            SignalingError::from(MediaRequestError::Stopped)
                .code()
                .code(),
            301
        );
    }
}
