//! OpenVidu's JSON-RPC error codes.

/// OpenVidu's JSON-RPC error codes (`OpenViduException.Code`), plus the framework's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorCode {
    /// An unexpected failure inside the official server (missing or mistyped parameter).
    Uncaught,
    UserGeneric,
    UserNotFound,
    UserClosed,
    ExistingUserInRoom,
    UserNotStreaming,
    UserAlreadyStreaming,
    RoomGeneric,
    RoomNotFound,
    RoomClosed,
    MediaGeneric,
    MediaSdp,
    UserUnauthorized,
    TokenCannotBeCreated,
    ExistingFilterAlreadyApplied,
    FilterNotApplied,
    UserMetadataFormatInvalid,
    SignalFormatInvalid,
    SignalToInvalid,
    /// The session's `forcedVideoCodec` is not in the publisher's offer.
    ForcedCodecNotFoundInSdpOffer,
    TransportError,
    ServiceNotEnabled,
    WrongOpenviduEdition,
    Generic,
    /// Kurento framework: `connect` with an unknown or expired session.
    ReconnectionError,
    /// JSON-RPC: the frame is not JSON.
    ParseError,
    /// JSON-RPC: not a valid request object.
    InvalidRequest,
    /// JSON-RPC: no such method.
    MethodNotFound,
}

impl ErrorCode {
    /// The numeric code on the wire.
    pub fn code(self) -> i64 {
        use ErrorCode::*;
        match self {
            Uncaught => -1,
            UserGeneric => 10,
            UserNotFound => 102,
            UserClosed => 103,
            ExistingUserInRoom => 104,
            UserNotStreaming => 105,
            UserAlreadyStreaming => 106,
            RoomGeneric => 201,
            RoomNotFound => 202,
            RoomClosed => 203,
            MediaGeneric => 301,
            MediaSdp => 302,
            UserUnauthorized => 401,
            TokenCannotBeCreated => 404,
            ExistingFilterAlreadyApplied => 405,
            FilterNotApplied => 406,
            UserMetadataFormatInvalid => 500,
            SignalFormatInvalid => 600,
            SignalToInvalid => 601,
            ForcedCodecNotFoundInSdpOffer => 800,
            TransportError => 803,
            ServiceNotEnabled => 996,
            WrongOpenviduEdition => 997,
            Generic => 999,
            ReconnectionError => 40007,
            ParseError => -32700,
            InvalidRequest => -32600,
            MethodNotFound => -32601,
        }
    }
}
