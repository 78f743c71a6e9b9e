//! One simulated participant, doing what openvidu-browser does: join over the WebSocket,
//! publish one camera stream, subscribe to every other publisher (the server offers, as
//! `mediaServer: "mediasoup"` tells browsers), and ping every 5 s.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ov_protocol::rpc::{ParticipantPublished, RemoteConnection, method, notification};
use ov_testkit::rpc::{Requester, join_params, publish_params};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::LoadError;
use crate::peer::{Peer, Publisher, Role, Subscriber, drive};
use crate::source::Source;
use crate::stats::{Board, bump};

/// openvidu-browser's ping period; the server drops sockets silent for 20 s.
const PING_PERIOD: Duration = Duration::from_secs(5);
/// How long `leaveRoom` may take at the end before the socket is just closed.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(2);

/// The layers of a `--simulcast` publisher, lowest first, as openvidu-browser names them.
const SIMULCAST_RIDS: [&str; 3] = ["rdiv4", "rdiv2", "rdiv1"];

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
    /// Publishers send three simulcast layers (`--simulcast`).
    pub simulcast: bool,
    /// The bottleneck of slow participants' downlinks, kbit/s (`--slow-kbps`).
    pub slow_kbps: u64,
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
    /// Whether what it receives goes through the `--slow-kbps` bottleneck.
    pub slow: bool,
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
    let (rpc, mut notes) = ov_testkit::rpc::connect(&ctx.ws_url).await?;
    rpc.send(
        method::PING,
        json!({"interval": PING_PERIOD.as_millis() as u64}),
    );
    let joined = rpc
        .call(
            method::JOIN_ROOM,
            join_params(&spec.token, "", "openvidu-load"),
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
                match subscribe(&rpc, ctx, &id, spec.slow).await {
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
            note = notes.next_notification() => {
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
async fn publish(rpc: &Requester, ctx: &Ctx) -> Result<(String, JoinHandle<()>), LoadError> {
    let mut peer = Peer::bind(ctx.media_ip).await?;
    let offer = if ctx.simulcast {
        peer.browser.simulcast_offer(&SIMULCAST_RIDS)?
    } else {
        peer.browser.publish_offer()?
    };
    let result = rpc
        .call(
            method::PUBLISH_VIDEO,
            publish_params(&offer, ctx.fps, 320, 240),
        )
        .await?;
    peer.browser
        .accept_answer(field(&result, "sdpAnswer", method::PUBLISH_VIDEO)?)?;
    let stream = field(&result, "id", method::PUBLISH_VIDEO)?.to_owned();
    let source = Source::new(Instant::now(), ctx.fps, ctx.video_kbps);
    let stats = ctx.board.publisher(&stream);
    let publisher = Publisher::new(&mut peer.browser, source, stats)?;
    bump(&ctx.board.counters.published);
    let task = tokio::spawn(drive(
        peer,
        Role::Publisher(publisher),
        ctx.board.clone(),
        ctx.stop.clone(),
    ));
    Ok((stream, task))
}

/// Subscribes to `stream`: the server offers, this peer answers (through a bottleneck when
/// `slow`).
async fn subscribe(
    rpc: &Requester,
    ctx: &Ctx,
    stream: &str,
    slow: bool,
) -> Result<JoinHandle<()>, LoadError> {
    let prepared = rpc
        .call(
            method::PREPARE_RECEIVE_VIDEO_FROM,
            json!({"sender": stream, "reconnect": false}),
        )
        .await?;
    let offer = field(&prepared, "sdpOffer", method::PREPARE_RECEIVE_VIDEO_FROM)?;
    let mut peer = Peer::bind(ctx.media_ip).await?;
    if slow {
        peer = peer.with_bottleneck(ctx.slow_kbps);
    }
    let answer = peer.browser.answer(offer)?;
    rpc.call(
        method::RECEIVE_VIDEO_FROM,
        json!({"sender": stream, "sdpAnswer": answer}),
    )
    .await?;
    let subscription = ctx.board.subscribe(stream, slow);
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
