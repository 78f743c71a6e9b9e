//! Simulcast layers: the encodings a publisher sends on one video track, and which of them
//! each subscription receives.
//!
//! A browser publishing with simulcast sends the same video two or three times at
//! different resolutions, each an RTP stream of its own (its own SSRC), named by a *rid*
//! in the SDP (`a=rid:rdiv4 send`, `a=simulcast:send rdiv4;rdiv2;rdiv1`) and in each
//! packet's `rtp-stream-id` header extension. A track without simulcast has exactly one
//! layer, without a rid. Layers are kept lowest first, so a layer's index is its quality
//! rank: 0 is the smallest.
//!
//! Each subscription forwards one layer at a time ([`LayerSelection`]): the best one
//! allowed that is still arriving. A switch waits for a keyframe of the new layer (a
//! decoder cannot start on a delta frame of a stream it has not seen); until it comes the
//! old layer goes on. A layer the publisher stopped sending (Chrome drops its upper layers
//! when its uplink or CPU is short) is left for the next one down, so the subscriber never
//! waits on a stream that will not come.

use std::time::{Duration, Instant};

use str0m::Rtc;
use str0m::media::{Mid, Rid, Rids};

use crate::allocator::{Allocator, BweHint};
use crate::rate::RateMeter;

/// A layer with no packet for this long is taken as stopped. Longer than the gap between
/// two frames at a low frame rate (5 fps: 200 ms), short enough that a subscriber of a
/// stopped layer sees a short freeze at most.
pub(crate) const LAYER_TIMEOUT: Duration = Duration::from_millis(600);

/// One encoding of a publisher's track.
#[derive(Debug, Clone)]
pub(crate) struct PubLayer {
    /// The rid of a simulcast layer; `None` for a track without simulcast.
    pub rid: Option<Rid>,
    /// When its last packet arrived.
    pub last_packet: Option<Instant>,
    /// When a keyframe was last asked for on this layer (requests are throttled per layer).
    pub last_keyframe_request: Option<Instant>,
    /// Its bitrate, for the allocator.
    pub rate: RateMeter,
}

impl PubLayer {
    pub fn new(rid: Option<Rid>) -> PubLayer {
        PubLayer {
            rid,
            last_packet: None,
            last_keyframe_request: None,
            rate: RateMeter::default(),
        }
    }

    /// Whether packets of this layer are arriving.
    pub fn is_active(&self, now: Instant) -> bool {
        self.last_packet
            .is_some_and(|at| now.saturating_duration_since(at) < LAYER_TIMEOUT)
    }
}

/// At most this many layers per track (browsers send three); further rids are ignored, so
/// a layer set fits the bits of a [`LayerView`].
pub(crate) const MAX_LAYERS: usize = 8;

/// The layers of a track from the rids its media line declares (none: one layer), lowest
/// first. Browsers list simulcast encodings lowest first (openvidu-browser: `rdiv4`,
/// `rdiv2`, `rdiv1`, the divisor of the capture size); names of that form are sorted by
/// their divisor whatever their order, others keep the order of the SDP.
pub(crate) fn layers_for(rids: &[Rid]) -> Vec<PubLayer> {
    if rids.is_empty() {
        return vec![PubLayer::new(None)];
    }
    let mut rids = rids.to_vec();
    if rids.iter().all(|r| divisor(r).is_some()) {
        rids.sort_by_key(|r| std::cmp::Reverse(divisor(r)));
    }
    rids.truncate(MAX_LAYERS);
    rids.into_iter().map(|r| PubLayer::new(Some(r))).collect()
}

/// The rids a publisher's media line declares it sends (`a=rid:… send` with
/// `a=simulcast`); empty without simulcast.
pub(crate) fn declared_rids(rtc: &Rtc, mid: Mid) -> Vec<Rid> {
    match rtc.media(mid).map(|m| m.rids_rx()) {
        Some(Rids::Specific(rids)) => rids.clone(),
        _ => Vec::new(),
    }
}

/// The `N` of a rid named `rdivN`.
fn divisor(rid: &Rid) -> Option<u32> {
    rid.strip_prefix("rdiv")?.parse().ok()
}

/// How much smaller than the element showing it a layer may be and still be chosen: a
/// little upscaling is not visible, and without the slack an element a few pixels larger
/// than a layer would pull the next one, twice the bitrate.
const SIZE_SLACK: f64 = 0.8;

/// The lowest layer that fills an element of `wanted` pixels (width, height) when the top
/// layer is `top`: the sizes come from the `rdivN` rids (layer size = top / N). An element
/// of no size (hidden) gets the lowest layer; one larger than every layer, or layers whose
/// sizes are unknown (other rid names), get `usize::MAX`: any.
pub(crate) fn layer_for_size(layers: &[PubLayer], top: (u32, u32), wanted: (u32, u32)) -> usize {
    if wanted.0 == 0 || wanted.1 == 0 {
        return 0;
    }
    let divisors: Option<Vec<u32>> = layers
        .iter()
        .map(|l| l.rid.as_ref().and_then(divisor).filter(|d| *d > 0))
        .collect();
    let Some(divisors) = divisors else {
        return usize::MAX;
    };
    let fills = |d: u32| {
        let (w, h) = (f64::from(top.0 / d), f64::from(top.1 / d));
        w >= f64::from(wanted.0) * SIZE_SLACK && h >= f64::from(wanted.1) * SIZE_SLACK
    };
    divisors
        .iter()
        .position(|d| fills(*d))
        .unwrap_or(usize::MAX)
}

/// A track's layers as one packet's forwarding sees them: how many, and which are arriving.
/// Taken once per packet (the publisher's layers cannot be borrowed while a subscriber is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayerView {
    pub count: usize,
    /// Bit `i` set: layer `i` is arriving.
    pub active: u8,
}

impl LayerView {
    pub fn of(layers: &[PubLayer], now: Instant) -> LayerView {
        let active = layers
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_active(now))
            .fold(0u8, |bits, (i, _)| bits | 1 << i);
        LayerView {
            count: layers.len(),
            active,
        }
    }

    fn is_active(&self, layer: usize) -> bool {
        layer < self.count && self.active & (1 << layer) != 0
    }

    /// The layer a subscription should receive now: the highest arriving layer at or below
    /// `max`; if none below is arriving, the lowest arriving one above; `None` if no layer
    /// is arriving (then the subscription keeps what it has).
    pub fn best(&self, max: usize) -> Option<usize> {
        let below = max.min(self.count.saturating_sub(1));
        (0..=below)
            .rev()
            .find(|i| self.is_active(*i))
            .or_else(|| (below + 1..self.count).find(|i| self.is_active(*i)))
    }
}

/// Which layer of its source track a subscription forwards, and which it waits to switch to.
#[derive(Debug, Clone)]
pub(crate) struct LayerSelection {
    /// The layer being forwarded; `None` before the first keyframe.
    pub current: Option<usize>,
    /// The layer to switch to at its next keyframe, if different from `current`.
    pub target: Option<usize>,
    /// The highest layer the subscriber wants (it shows the video small); `usize::MAX`:
    /// any.
    pub preferred: usize,
    /// The video bitrate this subscription may carry (the send limit), bit/s; `None`:
    /// unconstrained.
    pub send_limit: Option<u64>,
    /// The highest layer within the send limit (as of the last allocation).
    pub send_limited: usize,
    /// The highest layer its link can carry.
    pub allocator: Allocator,
    /// What str0m's estimator was last told to aim for.
    pub hint: Option<BweHint>,
}

impl Default for LayerSelection {
    fn default() -> Self {
        LayerSelection {
            current: None,
            target: None,
            preferred: usize::MAX,
            send_limit: None,
            send_limited: usize::MAX,
            allocator: Allocator::default(),
            hint: None,
        }
    }
}

/// What to do with one packet of one layer for one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Forward it.
    Forward,
    /// Forward it: it is the keyframe that starts the subscription on its layer (the
    /// outgoing stream continues from the previous layer).
    Switch,
    /// Drop it, and ask the publisher for a keyframe on its layer: the subscription waits
    /// for one to start or switch.
    NeedKeyframe,
    /// Drop it: another layer is forwarded.
    Drop,
}

impl LayerSelection {
    /// Decides about a packet of layer `layer` (of `layers`), `keyframe` when it starts a
    /// keyframe, `mapped` when the outgoing stream already carries its SSRC (false after the
    /// publisher reconnected with new SSRCs on the same layers).
    pub fn decide(
        &mut self,
        layers: LayerView,
        layer: usize,
        keyframe: bool,
        mapped: bool,
    ) -> Verdict {
        if self.allocator.paused {
            // The congestion pause: nothing until it ends, then a keyframe of the lowest
            // layer starts the video again.
            (self.current, self.target) = (None, None);
            return Verdict::Drop;
        }
        let wanted = if layers.count == 1 {
            Some(0)
        } else {
            layers.best(self.limit()).or(self.current)
        };
        self.target = wanted.filter(|w| Some(*w) != self.current);
        let on_current = self.current == Some(layer);
        if self.target == Some(layer) || (on_current && !mapped) {
            if keyframe {
                self.current = Some(layer);
                self.target = None;
                Verdict::Switch
            } else {
                Verdict::NeedKeyframe
            }
        } else if on_current {
            Verdict::Forward
        } else {
            Verdict::Drop
        }
    }

    /// The highest layer to forward: the subscriber's preference within what its link
    /// carries.
    pub fn limit(&self) -> usize {
        self.wanted().min(self.allocator.allowed)
    }

    /// The highest layer the subscription should get if its link allowed: the
    /// subscriber's preference within the send limit.
    pub fn wanted(&self) -> usize {
        self.preferred.min(self.send_limited)
    }

    /// The layer a keyframe is needed on for this subscription: the one it waits for, or
    /// the one it forwards.
    pub fn keyframe_layer(&self) -> Option<usize> {
        self.target.or(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rid(s: &str) -> Rid {
        s.into()
    }

    fn three(now: Instant, active: [bool; 3]) -> Vec<PubLayer> {
        let mut layers = layers_for(&[rid("rdiv4"), rid("rdiv2"), rid("rdiv1")]);
        for (l, a) in layers.iter_mut().zip(active) {
            l.last_packet = a.then_some(now);
        }
        layers
    }

    fn view(now: Instant, active: [bool; 3]) -> LayerView {
        LayerView::of(&three(now, active), now)
    }

    #[test]
    fn rdiv_layers_sort_by_divisor_others_keep_their_order() {
        let names = |ls: Vec<PubLayer>| -> Vec<String> {
            ls.iter()
                .map(|l| l.rid.map(|r| r.to_string()).unwrap_or_default())
                .collect()
        };
        assert_eq!(
            names(layers_for(&[rid("rdiv1"), rid("rdiv4"), rid("rdiv2")])),
            ["rdiv4", "rdiv2", "rdiv1"]
        );
        assert_eq!(
            names(layers_for(&[rid("q"), rid("h"), rid("f")])),
            ["q", "h", "f"]
        );
        let single = layers_for(&[]);
        assert_eq!(single.len(), 1);
        assert!(single[0].rid.is_none());
    }

    #[test]
    fn best_layer_is_the_highest_arriving_within_the_limit() {
        let now = Instant::now();
        assert_eq!(view(now, [true; 3]).best(usize::MAX), Some(2));
        assert_eq!(view(now, [true; 3]).best(1), Some(1));
        assert_eq!(view(now, [true, false, false]).best(2), Some(0));
        // Nothing at or below the limit: the lowest above it.
        assert_eq!(view(now, [false, false, true]).best(0), Some(2));
        assert_eq!(view(now, [false; 3]).best(2), None);
        // A layer silent for the timeout has stopped.
        let later = now + LAYER_TIMEOUT;
        assert_eq!(LayerView::of(&three(now, [true; 3]), later).best(2), None);
    }

    #[test]
    fn starts_and_switches_only_on_keyframes() {
        let now = Instant::now();
        let layers = view(now, [true; 3]);
        let mut s = LayerSelection::default();
        // The top layer is wanted; its delta frames wait for a keyframe, the others drop.
        assert_eq!(s.decide(layers, 2, false, false), Verdict::NeedKeyframe);
        assert_eq!(s.decide(layers, 0, true, false), Verdict::Drop);
        assert_eq!(s.decide(layers, 2, true, false), Verdict::Switch);
        assert_eq!(s.decide(layers, 2, false, true), Verdict::Forward);
        // Limited to the middle layer: the top goes on until the middle's keyframe.
        s.preferred = 1;
        assert_eq!(s.decide(layers, 2, false, true), Verdict::Forward);
        assert_eq!(s.decide(layers, 1, false, false), Verdict::NeedKeyframe);
        assert_eq!(s.keyframe_layer(), Some(1));
        assert_eq!(s.decide(layers, 1, true, false), Verdict::Switch);
        assert_eq!(s.decide(layers, 2, false, true), Verdict::Drop);
        assert_eq!(s.current, Some(1));
        assert_eq!(s.target, None);
    }

    #[test]
    fn a_stopped_layer_falls_to_the_next_one() {
        let now = Instant::now();
        let mut s = LayerSelection::default();
        assert_eq!(
            s.decide(view(now, [true; 3]), 2, true, false),
            Verdict::Switch
        );
        // The top layer stops; the middle one is still arriving.
        let layers = view(now, [true, true, false]);
        assert_eq!(s.decide(layers, 2, false, true), Verdict::Forward);
        assert_eq!(s.decide(layers, 1, false, false), Verdict::NeedKeyframe);
        assert_eq!(s.decide(layers, 1, true, false), Verdict::Switch);
        assert_eq!(s.current, Some(1));
        // Nothing arrives at all: keep what there is.
        assert_eq!(
            s.decide(view(now, [false; 3]), 1, false, true),
            Verdict::Forward
        );
    }

    #[test]
    fn the_layer_for_a_size_is_the_lowest_that_fills_it() {
        let layers = three(Instant::now(), [true; 3]);
        let top = (1280, 720);
        // 320x180, 640x360, 1280x720.
        assert_eq!(layer_for_size(&layers, top, (160, 90)), 0);
        assert_eq!(layer_for_size(&layers, top, (320, 180)), 0);
        // Within the slack: 320x180 still fills 380x214.
        assert_eq!(layer_for_size(&layers, top, (380, 214)), 0);
        assert_eq!(layer_for_size(&layers, top, (420, 236)), 1);
        // Both sides must fill (an element cropping the video, object-fit: cover).
        assert_eq!(layer_for_size(&layers, top, (300, 300)), 1);
        assert_eq!(layer_for_size(&layers, top, (1280, 720)), 2);
        assert_eq!(layer_for_size(&layers, top, (2560, 1440)), usize::MAX);
        // Hidden: the lowest.
        assert_eq!(layer_for_size(&layers, top, (0, 0)), 0);
        // Sizes unknown without rdivN names.
        let named = layers_for(&[rid("q"), rid("h"), rid("f")]);
        assert_eq!(layer_for_size(&named, top, (160, 90)), usize::MAX);
    }

    #[test]
    fn one_layer_behaves_as_without_simulcast() {
        let now = Instant::now();
        // Even before its first packet is noted as arriving.
        let layers = LayerView::of(&layers_for(&[]), now);
        let mut s = LayerSelection::default();
        assert_eq!(s.decide(layers, 0, false, false), Verdict::NeedKeyframe);
        assert_eq!(s.decide(layers, 0, true, false), Verdict::Switch);
        assert_eq!(s.decide(layers, 0, false, true), Verdict::Forward);
        // The publisher reconnected: new SSRC, so a keyframe again.
        assert_eq!(s.decide(layers, 0, false, false), Verdict::NeedKeyframe);
        assert_eq!(s.decide(layers, 0, true, false), Verdict::Switch);
    }
}
