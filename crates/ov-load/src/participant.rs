//! One simulated participant, doing what openvidu-browser does: join over the WebSocket,
//! publish one camera stream, subscribe to every other publisher (the server offers, as
//! `mediaServer: "mediasoup"` tells browsers), and ping every 5 s.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ov_protocol::rpc::{ParticipantPublished, RemoteConnection, method, notification};
use serde_json::{Value, json};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, MediaKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::LoadError;
use crate::peer::{Peer, Publisher, Role, Subscriber, drive};
use crate::rpc::Rpc;
use crate::source::Source;
use crate::stats::{Board, bump};

/// openvidu-browser's ping period; the server drops sockets silent for 20 s.
const PING_PERIOD: Duration = Duration::from_secs(5);
/// How long `leaveRoom` may take at the end before the socket is just closed.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(2);

/// What every participant shares.
pub struct Ctx {
    /// `ws://host:port/openvidu`.
    pub ws_url: String,
    /// Address the media sockets bind to (and announce).
    pub media_ip: IpAddr,
    /// Video frame rate of publishers.
    pub fps: u32,
    /// Video bitrate of publishers, kbit/s.
    pub video_kbps: u32,
    /// Subscribers count RTP headers instead of decrypting (`--light`).
    pub light: bool,
    /// Counters.
    pub board: Arc<Board>,
    /// Turns true at the end of the run.
    pub stop: watch::Receiver<bool>,
}

/// One participant of the plan.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Session id.
    pub session: String,
    /// Its token (a `ws://…?sessionId=…&token=…` URL).
    pub token: String,
    /// Whether it publishes.
    pub publishes: bool,
    /// When it joins.
    pub start_at: tokio::time::Instant,
}

/// Runs a participant until the end of the run; its failure is logged and counted.
pub async fn run(spec: Spec, ctx: Arc<Ctx>) {
    if let Err(e) = participate(&spec, &ctx).await {
        tracing::warn!(session = %spec.session, error = %e, "participant failed");
        bump(&ctx.board.counters.failures);
    }
}

async fn participate(spec: &Spec, ctx: &Ctx) -> Result<(), LoadError> {
    let mut stop = ctx.stop.clone();
    tokio::select! {
        _ = stop.wait_for(|s| *s) => return Ok(()),
        _ = tokio::time::sleep_until(spec.start_at) => {}
    }
    let (rpc, mut notes) = Rpc::connect(&ctx.ws_url).await?;
    rpc.send(
        method::PING,
        json!({"interval": PING_PERIOD.as_millis() as u64}),
    );
    let joined = rpc
        .call(
            method::JOIN_ROOM,
            json!({"token": spec.token, "session": spec.session, "platform": "openvidu-load",
                   "sdkVersion": "2.32.2", "metadata": "", "secret": ""}),
        )
        .await?;
    bump(&ctx.board.counters.joined);
    let mut peers = Vec::new();
    let mut seen = HashSet::new();
    if spec.publishes {
        let (stream, peer) = publish(&rpc, ctx).await?;
        seen.insert(stream);
        peers.push(peer);
    }
    let others: Vec<RemoteConnection> = serde_json::from_value(joined["value"].clone())
        .map_err(|e| protocol(method::JOIN_ROOM, &e.to_string()))?;
    let mut streams: Vec<String> = others
        .into_iter()
        .filter_map(|c| c.streams?.into_iter().next().map(|s| s.id.into()))
        .collect();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_PERIOD, PING_PERIOD);
    loop {
        for id in streams.drain(..) {
            if seen.insert(id.clone()) {
                match subscribe(&rpc, ctx, &id).await {
                    Ok(peer) => peers.push(peer),
                    Err(e) => {
                        tracing::warn!(stream = %id, error = %e, "subscription failed");
                        bump(&ctx.board.counters.failures);
                    }
                }
            }
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = ping.tick() => rpc.send(method::PING, json!({"interval": PING_PERIOD.as_millis() as u64})),
            note = notes.recv() => {
                let Some(note) = note else {
                    return Err(LoadError::NoAnswer("the WebSocket closed".into()));
                };
                if note.method == notification::PARTICIPANT_PUBLISHED {
                    let p: ParticipantPublished = serde_json::from_value(note.params)
                        .map_err(|e| protocol(&note.method, &e.to_string()))?;
                    streams.extend(p.streams.into_iter().next().map(|s| s.id.into()));
                }
            }
        }
    }
    let _ = tokio::time::timeout(LEAVE_TIMEOUT, rpc.call(method::LEAVE_ROOM, json!({}))).await;
    drop(rpc);
    for p in peers {
        let _ = p.await;
    }
    Ok(())
}

/// Publishes audio and video; returns the stream id and the running peer.
async fn publish(rpc: &Rpc, ctx: &Ctx) -> Result<(String, JoinHandle<()>), LoadError> {
    let mut peer = Peer::bind(ctx.media_ip).await?;
    let mut api = peer.rtc.sdp_api();
    let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let video = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    let (offer, pending) = api
        .apply()
        .ok_or_else(|| LoadError::Rtc("no offer to make".into()))?;
    let result = rpc
        .call(
            method::PUBLISH_VIDEO,
            json!({"sdpOffer": offer.to_sdp_string(), "doLoopback": false, "hasAudio": true,
                   "hasVideo": true, "audioActive": true, "videoActive": true,
                   "typeOfVideo": "CAMERA", "frameRate": ctx.fps,
                   "videoDimensions": "{\"width\":320,\"height\":240}"}),
        )
        .await?;
    let answer = SdpAnswer::from_sdp_string(field(&result, "sdpAnswer", method::PUBLISH_VIDEO)?)?;
    peer.rtc.sdp_api().accept_answer(pending, answer)?;
    let stream = field(&result, "id", method::PUBLISH_VIDEO)?.to_owned();
    let source = Source::new(Instant::now(), ctx.fps, ctx.video_kbps);
    let stats = ctx.board.publisher(&stream);
    let publisher = Publisher::new(&mut peer.rtc, audio, video, source, stats)?;
    bump(&ctx.board.counters.published);
    let task = tokio::spawn(drive(
        peer,
        Role::Publisher(publisher),
        ctx.board.clone(),
        ctx.stop.clone(),
    ));
    Ok((stream, task))
}

/// Subscribes to `stream`: the server offers, this peer answers.
async fn subscribe(rpc: &Rpc, ctx: &Ctx, stream: &str) -> Result<JoinHandle<()>, LoadError> {
    let prepared = rpc
        .call(
            method::PREPARE_RECEIVE_VIDEO_FROM,
            json!({"sender": stream, "reconnect": false}),
        )
        .await?;
    let offer = SdpOffer::from_sdp_string(field(
        &prepared,
        "sdpOffer",
        method::PREPARE_RECEIVE_VIDEO_FROM,
    )?)?;
    let mut peer = Peer::bind(ctx.media_ip).await?;
    let answer = peer.rtc.sdp_api().accept_offer(offer)?;
    rpc.call(
        method::RECEIVE_VIDEO_FROM,
        json!({"sender": stream, "sdpAnswer": answer.to_sdp_string()}),
    )
    .await?;
    let subscription = ctx.board.subscribe(stream);
    Ok(tokio::spawn(drive(
        peer,
        Role::Subscriber(Subscriber::new(subscription, ctx.light)),
        ctx.board.clone(),
        ctx.stop.clone(),
    )))
}

/// A string field of a JSON-RPC result.
fn field<'a>(result: &'a Value, name: &str, method: &str) -> Result<&'a str, LoadError> {
    result[name]
        .as_str()
        .ok_or_else(|| protocol(method, &format!("no string '{name}' in {result}")))
}

fn protocol(method: &str, detail: &str) -> LoadError {
    LoadError::Protocol {
        method: method.to_owned(),
        detail: detail.to_owned(),
    }
}
