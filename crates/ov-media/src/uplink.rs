//! Caps a simulcast publisher's uplink to the layers its subscribers need.
//!
//! When every subscription of a track shows it small (each one's preferred layer,
//! [`Engine::set_video_size`](crate::Engine::set_video_size), is below the top), the layers
//! above are sent for nobody. The publisher is then told, by REMB, a bitrate that fits the
//! needed layers and its audio but not the next layer's minimum, and Chrome's simulcast
//! allocator stops encoding what does not fit: thumbnails cost the publisher nothing
//! extra. The only lever that works with the unmodified openvidu-browser (which never
//! turns encodings off itself); Chrome takes a REMB as a cap on its own estimate.
//!
//! The same REMB carries OpenVidu's receive limit ([`RecvBandwidth`]:
//! `OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH`, or the connection's `kurentoOptions`),
//! which Kurento also sent as REMB. With simulcast it bounds the top layer: the layers
//! below and the audio come on top of it, so that the limit does not switch the top layer
//! off. The minimum only raises that limit (a REMB cannot make a browser send more).
//!
//! Caps are recomputed every [`UPLINK_INTERVAL`] from the measured rates. Chrome keeps
//! the last REMB it received, so when a cap ends (a subscriber wants more, a tap, the last
//! subscriber gone) a REMB that caps nothing is sent a few times. A track with neither a
//! limit nor subscribers that report a size gets no REMB at all.

use std::time::{Duration, Instant};

use str0m::bwe::Bitrate;

use crate::contract::PeerId;
use crate::peer::{MediaKind, PeerKind, PubTrack};
use crate::table::PeerTable;

/// How often a cap is recomputed and sent again (mediasoup and Kurento: 1–1.5 s).
pub(crate) const UPLINK_INTERVAL: Duration = Duration::from_secs(1);
/// Room above the needed layers' measured rate, so that they can still grow towards their
/// own maximum; well below the minimum of the next layer up (Chrome: 150 kbit/s from
/// 480x270 up), which therefore stays off.
const CAP_MARGIN: f64 = 1.2;
/// Plus what the measured rates leave out: RTP/RTCP headers, retransmissions, padding.
const CAP_OVERHEAD_BPS: u64 = 50_000;
/// A REMB that caps nothing, to end a cap.
const UNCAPPED_BPS: u64 = 100_000_000;
/// How many times it is sent (a REMB is RTCP, and may be lost).
const LIFT_REPEATS: u8 = 3;

/// The video bitrate a publisher may send, bit/s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecvBandwidth {
    /// At most this (with simulcast: on its top layer); `None`: unconstrained.
    pub max_bps: Option<u64>,
    /// The limit is never below this.
    pub min_bps: u64,
}

/// The cap state of one publisher track.
#[derive(Debug, Clone, Default)]
pub(crate) struct UplinkCap {
    /// When the cap is next recomputed; `None`: at the next wake.
    pub next_at: Option<Instant>,
    /// REMBs that cap nothing still to send.
    lifts_left: u8,
    /// The highest layer a subscriber needs, when that is below the top (as of the last
    /// recomputation): the layers above are off on purpose, not for want of bandwidth.
    pub needed: Option<usize>,
}

impl UplinkCap {
    pub fn is_due(&self, now: Instant) -> bool {
        self.next_at.is_none_or(|at| at <= now)
    }
}

impl PeerKind {
    /// Whether a video track of this publisher is due for [`PeerTable::cap_uplink`].
    pub(crate) fn uplink_due(&self, now: Instant) -> bool {
        match self {
            PeerKind::Publisher { tracks, .. } => tracks
                .iter()
                .any(|t| t.kind == MediaKind::Video && t.uplink.is_due(now)),
            PeerKind::Subscriber { .. } => false,
        }
    }
}

impl PeerTable {
    /// Recomputes the cap of each video track of `publisher` that is due, and sends
    /// the REMB it calls for.
    pub(crate) fn cap_uplink(&mut self, publisher: PeerId, now: Instant) {
        let Some(PeerKind::Publisher {
            tracks,
            recv_bandwidth,
            ..
        }) = self.peers.get(&publisher).map(|p| &p.kind)
        else {
            return;
        };
        let limit = recv_bandwidth.unwrap_or(self.config.recv_bandwidth);
        let audio_bps: u64 = tracks
            .iter()
            .filter(|t| t.kind == MediaKind::Audio)
            .flat_map(|t| t.layers.iter().filter_map(|l| l.rate.bps()))
            .sum();
        let caps: Vec<(usize, Option<usize>, Option<u64>)> = tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == MediaKind::Video && t.uplink.is_due(now))
            .map(|(i, t)| {
                let needed = self.needed_layer(t);
                let by_need = needed
                    .and_then(|n| needed_bps(t, n))
                    .map(|bps| cap_for(bps, audio_bps));
                let by_limit = limit
                    .max_bps
                    .map(|max| limit_for(t, max.max(limit.min_bps), audio_bps));
                (i, needed, by_need.into_iter().chain(by_limit).min())
            })
            .collect();
        let Some(p) = self.peers.get_mut(&publisher) else {
            return;
        };
        let PeerKind::Publisher { tracks, .. } = &mut p.kind else {
            return;
        };
        let mut sent = false;
        for (i, needed, cap) in caps {
            let t = &mut tracks[i];
            t.uplink.needed = needed;
            let remb = match cap {
                Some(bps) => {
                    t.uplink.lifts_left = LIFT_REPEATS;
                    Some(bps)
                }
                None if t.uplink.lifts_left > 0 => {
                    t.uplink.lifts_left -= 1;
                    Some(UNCAPPED_BPS)
                }
                None => None,
            };
            t.uplink.next_at = Some(now + UPLINK_INTERVAL);
            let Some(bps) = remb else {
                continue;
            };
            let (mid, rid) = (t.mid, t.layers[0].rid);
            tracing::debug!(%publisher, bps, "uplink REMB");
            if let Some(rx) = p.rtc.direct_api().stream_rx_by_mid(mid, rid) {
                rx.request_remb(Bitrate::bps(bps));
                sent = true;
            }
        }
        if sent {
            self.drive(publisher, now);
        }
    }

    /// The highest layer `track`'s subscribers need, when that is below the top; `None`
    /// when the top layer is needed (a subscription without a size, a tap, no
    /// subscription at all).
    fn needed_layer(&self, track: &PubTrack) -> Option<usize> {
        if track.layers.len() < 2 || !track.taps.is_empty() || track.subscribers.is_empty() {
            return None;
        }
        let top = track.top_layer();
        let mut needed = 0;
        for (sub, index) in &track.subscribers {
            let Some(PeerKind::Subscriber { tracks, .. }) = self.peers.get(sub).map(|p| &p.kind)
            else {
                return None;
            };
            // The preference, not the send limit: a layer capped off here is no longer
            // measured, and a send limit cannot tell whether an unmeasured layer fits.
            needed = needed.max(tracks.get(*index)?.layers.preferred.min(top));
        }
        (needed < top).then_some(needed)
    }
}

/// The measured rate of `track`'s layers up to `needed`; `None` while one is not known.
fn needed_bps(track: &PubTrack, needed: usize) -> Option<u64> {
    track.layers[..=needed]
        .iter()
        .map(|l| l.rate.bps())
        .sum::<Option<u64>>()
}

/// The REMB that lets through layers of `layers_bps` and the audio, and not the next one.
fn cap_for(layers_bps: u64, audio_bps: u64) -> u64 {
    (layers_bps as f64 * CAP_MARGIN) as u64 + audio_bps + CAP_OVERHEAD_BPS
}

/// The REMB that holds `track`'s video to `max_bps` (its top layer, with simulcast: the
/// layers below and the audio come on top).
fn limit_for(track: &PubTrack, max_bps: u64, audio_bps: u64) -> u64 {
    let lower: u64 = track.layers[..track.top_layer()]
        .iter()
        .filter_map(|l| l.rate.bps())
        .sum();
    max_bps + lower + audio_bps + CAP_OVERHEAD_BPS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_leaves_room_for_the_needed_layers_not_for_the_next() {
        // Chrome's 320x240 layer at its ~200 kbit/s maximum and Opus: the 640x480 layer
        // would need 150 kbit/s more than the cap leaves.
        let cap = cap_for(200_000, 40_000);
        assert_eq!(cap, 330_000);
        assert!(cap - 200_000 - 40_000 < 150_000);
    }

    #[test]
    fn a_new_track_is_due_at_once_then_every_interval() {
        let now = Instant::now();
        let mut cap = UplinkCap::default();
        assert!(cap.is_due(now));
        cap.next_at = Some(now + UPLINK_INTERVAL);
        assert!(!cap.is_due(now));
        assert!(cap.is_due(now + UPLINK_INTERVAL));
    }
}
