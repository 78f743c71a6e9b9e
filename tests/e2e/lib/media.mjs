// Media assertions on pages. One rule for every browser media check: media counts as
// flowing only when it is decoded at a sustained rate — at least MIN_FPS video frames per
// second between two samples SAMPLE_WINDOW_MS or more apart, on the same RTCPeerConnection
// — never because one frame (framesDecoded > 0) once arrived.

import assert from 'node:assert/strict';

import { waitFor, assertHolds } from './wait.mjs';
import { eventMatcher } from './harness.mjs';

/**
 * Init script (`initScripts` of `h.openPage`): remembers every RTCPeerConnection of the page
 * in `window.__pcs`, for the stats of pages that do not keep their own.
 */
export function trackPeerConnections() {
    const Original = window.RTCPeerConnection;
    window.__pcs = [];
    window.RTCPeerConnection = class extends Original {
        constructor(...args) {
            super(...args);
            window.__pcs.push(this);
        }
    };
}

/**
 * The size at which a subscriber on our SDK receives a 640x480 simulcast camera (layers
 * 320x240 and 640x480) that it shows in an element of `box` ({width, height}, CSS pixels
 * at device pixel ratio 1): our SDK reports the element's size and the server forwards the
 * lowest layer that fills it, allowing a layer 20 % smaller (ov-media's `layer_for_size`).
 * openvidu-browser's subscribers report nothing and receive the top layer.
 */
export function simulcastLayerFor(box) {
    const fills = (w, h) => w >= Math.round(box.width) * 0.8 && h >= Math.round(box.height) * 0.8;
    return fills(320, 240) ? [320, 240] : [640, 480];
}

/** Least video frames per second that count as "decoding" (the fake camera sends 15 or 30). */
export const MIN_FPS = 5;
/** Least audio packets per second that count as "receiving audio" (Opus sends 50). */
export const MIN_AUDIO_PACKETS_PER_S = 10;
/** Shortest time between the two samples a rate is measured on. */
export const SAMPLE_WINDOW_MS = 1_000;

/**
 * Waits until `sample()` shows every counter growing at its least rate over a window of at
 * least `windowMs`. `sample()` resolves null (not ready: the window restarts) or
 * `{key, counters: {name: {value, at, min}}, ...}`: `at` is when `value` was read (ms),
 * `min` its least rate per second; two samples are compared only when their `key` (e.g.
 * the peer connection ids) is the same. Resolves `{sample, rates}` (rates per second).
 */
export async function waitForRates(sample, { what, windowMs = SAMPLE_WINDOW_MS, timeoutMs = 20_000, describe } = {}) {
    let base = null;
    let last = null;
    let lastRates = null;
    return waitFor(
        async () => {
            const s = (last = await sample());
            if (!s) {
                base = null;
                return null;
            }
            if (!base || base.key !== s.key) {
                base = s;
                return null;
            }
            const rates = {};
            for (const [name, c] of Object.entries(s.counters)) {
                const b = base.counters[name];
                const dt = b ? c.at - b.at : 0;
                if (!(dt >= windowMs)) return null; // the window is not long enough yet
                rates[name] = ((c.value - b.value) * 1000) / dt;
            }
            lastRates = rates;
            if (Object.entries(s.counters).every(([name, c]) => rates[name] >= c.min)) return { sample: s, rates };
            base = s; // too slow: measure the next window
            return null;
        },
        {
            timeoutMs,
            intervalMs: 250,
            what: `${what} (at least the given rate over ${windowMs} ms)`,
            describe: async () =>
                `last rates per second: ${JSON.stringify(lastRates)}; last sample: ${JSON.stringify(last)}` +
                (describe ? `\n${await describe()}` : '')
        }
    );
}

/**
 * Waits until `p` decodes the video of each stream of `streamIds` at MIN_FPS or more (and
 * receives its audio at MIN_AUDIO_PACKETS_PER_S or more when `audio`), each on an
 * unchanged RTCPeerConnection over the window. `exact`: `p` has no other live
 * subscription. Resolves p.stats() of the last sample (with `rates`).
 */
export async function waitForDecoding(p, streamIds, { audio = false, exact = false, timeoutMs = 20_000, minFps = MIN_FPS } = {}) {
    const wanted = [...streamIds].sort();
    const { sample, rates } = await waitForRates(
        async () => {
            const stats = await p.stats();
            const live = stats.map((s) => s.streamId).sort();
            if (exact && JSON.stringify(live) !== JSON.stringify(wanted)) return null;
            const counters = {};
            const pcs = [];
            for (const id of wanted) {
                const s = stats.find((x) => x.streamId === id);
                if (!s?.video) return null;
                pcs.push(s.pcId);
                counters[`${id} video frames`] = { value: s.video.framesDecoded, at: s.video.timestamp, min: minFps };
                if (audio) {
                    if (!s.audio) return null;
                    counters[`${id} audio packets`] = { value: s.audio.packetsReceived, at: s.audio.timestamp, min: MIN_AUDIO_PACKETS_PER_S };
                }
            }
            return { key: `${live.join(',')} on ${pcs.join(',')}`, counters, stats };
        },
        {
            timeoutMs,
            what: `[${p.name}] decoded video${audio ? ' + audio' : ''} from ${wanted.join(', ')}${exact ? ' (and nothing else)' : ''}`,
            describe: async () =>
                `[${p.name}] subscribers: ${JSON.stringify(await p.stats())}\n[${p.name}] events: ${JSON.stringify(await p.events())}`
        }
    );
    return Object.assign(sample.stats, { rates });
}

/** `rates` of waitForRates / waitForDecoding rounded, for a diagnostic line. */
export function roundRates(rates) {
    return Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, Math.round(v)]));
}

/**
 * Asserts that no recorded event of `p` matches `match` (an object of fields, or a
 * predicate) during the next `ms`: an absence check, failing as soon as one appears.
 */
export async function assertNoEvent(p, match, { ms = 800, what } = {}) {
    const matches = typeof match === 'function' ? match : eventMatcher(match);
    const label = what ?? `unexpected event ${typeof match === 'function' ? match.toString() : JSON.stringify(match)}`;
    let found = [];
    await assertHolds(
        async () => {
            found = (await p.events()).filter(matches);
            return found.length === 0;
        },
        { forMs: ms, what: `[${p.name}] no such event (${label})`, describe: async () => JSON.stringify(found) }
    );
}

/**
 * Waits until publisher `p` encodes `count` video encodings (simulcast layers), each of
 * which has encoded a frame; resolves them (`publisherLayers()`, by rid).
 */
export async function waitForEncodings(p, count) {
    return waitFor(
        async () => {
            const layers = await p.call('publisherLayers');
            return layers.length === count && layers.every((l) => l.framesEncoded > 0) ? layers : null;
        },
        { timeoutMs: 20_000, what: `[${p.name}] encodes ${count} layers`, describe: async () => JSON.stringify(await p.call('publisherLayers')) }
    );
}

/**
 * Waits until `p` decodes `streamId` at a sustained rate and at `size` ([width, height]):
 * a subscription starts on whatever layer arrives first, and the top one follows once the
 * publisher sends it and the subscription's estimate allows it. Resolves the video stats.
 */
export async function waitForSize(p, streamId, size, { timeoutMs = 15_000 } = {}) {
    await waitForDecoding(p, [streamId]);
    return waitFor(
        async () => {
            const v = (await p.stats()).find((x) => x.streamId === streamId)?.video;
            return v && v.frameWidth === size[0] && v.frameHeight === size[1] ? v : null;
        },
        {
            timeoutMs,
            what: `[${p.name}] ${streamId} at ${size.join('x')}`,
            describe: async () => JSON.stringify(await p.stats())
        }
    );
}
