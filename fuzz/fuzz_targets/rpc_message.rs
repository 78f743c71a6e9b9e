//! A WebSocket text frame at the JSON-RPC edge, as `RpcSocket::handle` reads it
//! (crates/ov-server/src/rpc/dispatch.rs): the envelope, then the parameters of the
//! named method with `ov_protocol::rpc::requests::parse`, the pure checks dispatch makes
//! on them, and the error response a refusal sends. The domain calls after parsing
//! need a live registry and a runtime and are left out.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ov_protocol::rpc::requests::{self, Params};
use ov_protocol::rpc::{self, Incoming, method};
use ov_server::domain::SignalingError;
use serde_json::Value;

fn parse<P: Params>(params: Option<&Value>) -> Result<P, SignalingError> {
    Ok(requests::parse(params)?)
}

/// The parsing half of `RpcSocket::dispatch`, method by method.
fn dispatch(name: &str, params: Option<&Value>) -> Result<(), SignalingError> {
    match name {
        method::PING | method::LEAVE_ROOM | method::UNPUBLISH_VIDEO => Ok(()),
        method::JOIN_ROOM => {
            let p: requests::JoinRoomParams = parse(params)?;
            // What `join` derives from the parameters before the registry sees them.
            let _ = ov_protocol::token::TokenUrl::parse(&p.token);
            let _ = (
                p.platform.unwrap_or_default(),
                p.metadata.unwrap_or_default(),
            );
            Ok(())
        }
        method::CONNECT => parse::<requests::ConnectParams>(params).map(drop),
        method::PUBLISH_VIDEO => {
            let p: requests::PublishVideoParams = parse(params)?;
            let _ = p.stream_options();
            Ok(())
        }
        method::PREPARE_RECEIVE_VIDEO_FROM => {
            parse::<requests::PrepareReceiveVideoFromParams>(params).map(drop)
        }
        method::RECEIVE_VIDEO_FROM => {
            let p: requests::ReceiveVideoFromParams = parse(params)?;
            p.sdp_answer
                .ok_or(SignalingError::ServerOffersSubscriptions)
                .map(drop)
        }
        method::UNSUBSCRIBE_FROM_VIDEO => {
            parse::<requests::UnsubscribeFromVideoParams>(params).map(drop)
        }
        method::ON_ICE_CANDIDATE => parse::<requests::OnIceCandidateParams>(params).map(drop),
        method::SEND_MESSAGE => parse::<requests::SendMessageParams>(params).map(drop),
        method::STREAM_PROPERTY_CHANGED => {
            parse::<requests::StreamPropertyChangedParams>(params).map(drop)
        }
        method::VIDEO_DATA | method::ECHO => Ok(()),
        method::FORCE_DISCONNECT => parse::<requests::ForceDisconnectParams>(params).map(drop),
        method::FORCE_UNPUBLISH => parse::<requests::ForceUnpublishParams>(params).map(drop),
        method::UPDATE_SUBSCRIPTION => {
            parse::<requests::UpdateSubscriptionParams>(params).map(drop)
        }
        method::RECONNECT_STREAM => {
            let p: requests::ReconnectStreamParams = parse(params)?;
            p.sdp_string
                .ok_or(SignalingError::ServerOffersResubscriptions)
                .map(drop)
        }
        // The filter and speech-to-text methods parse nothing; their refusals, like this
        // one, are error responses built below.
        other => Err(SignalingError::UnknownMethod(other.to_owned())),
    }
}

fuzz_target!(|data: &[u8]| {
    // tungstenite hands the server only valid UTF-8 as a text frame.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let incoming: Incoming = match serde_json::from_str(text) {
        Ok(i) => i,
        Err(e) => {
            let e = SignalingError::NotJsonRpc(e.to_string());
            let _ = rpc::error_response(&Value::Null, e.code(), &e.to_string());
            return;
        }
    };
    let Some(id) = incoming.id.clone() else {
        return;
    };
    let outcome = match (incoming.jsonrpc.as_deref(), incoming.method.as_deref()) {
        (Some("2.0"), Some(name)) => dispatch(name, incoming.params.as_ref()),
        (Some("2.0"), None) => Err(SignalingError::NoMethod),
        _ => Err(SignalingError::WrongJsonRpcVersion),
    };
    if let Err(e) = outcome {
        let frame = rpc::error_response(&id, e.code(), &e.to_string());
        // The refusal is itself a JSON-RPC frame the browser must be able to read.
        let v: Value = serde_json::from_str(&frame).expect("error responses are JSON");
        assert_eq!(v["id"], id);
    }
});
