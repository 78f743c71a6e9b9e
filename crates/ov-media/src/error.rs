//! Errors of engine commands.

/// Why a media command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The SDP could not be parsed or negotiated.
    #[error("invalid SDP: {0}")]
    Sdp(String),
    /// A candidate line could not be parsed.
    #[error("invalid ICE candidate: {0}")]
    Candidate(String),
    /// No peer with that id (closed or never existed).
    #[error("no such peer")]
    NoSuchPeer,
    /// The peer is not of the kind the command needs (publisher vs subscriber).
    #[error("wrong kind of peer for this operation")]
    WrongPeerKind,
    /// An answer was given but no offer is pending.
    #[error("no offer is pending for this peer")]
    NoPendingOffer,
    /// The offer sends video but not in the codec the session forces.
    #[error(
        "the session forces the video codec {0} (forcedVideoCodec), which this offer does not contain: publish from a browser that encodes {0}, or create the session with allowTranscoding true to accept other codecs"
    )]
    CodecNotOffered(crate::ForcedCodec),
    /// The engine has no usable local address to offer.
    #[error("no local candidate address is configured")]
    NoLocalCandidate,
}
