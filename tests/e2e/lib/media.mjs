// Media assertions on pages: what each page decodes from whom, and that it keeps flowing.

import assert from 'node:assert/strict';

import { waitFor, sleep } from './wait.mjs';

/**
 * Waits until `p` has a live subscription to each stream of `streamIds` that has
 * decoded video (framesDecoded > 0), and received audio when `audio`. Resolves
 * p.stats(). `exact`: no other live subscription either.
 */
export async function waitForDecoding(p, streamIds, { audio = false, exact = false, timeoutMs = 20_000 } = {}) {
    const wanted = [...streamIds].sort();
    return waitFor(
        async () => {
            const stats = await p.stats();
            const live = stats.map((s) => s.streamId).sort();
            if (exact && JSON.stringify(live) !== JSON.stringify(wanted)) return null;
            for (const id of wanted) {
                const s = stats.find((x) => x.streamId === id);
                if (!s || !(s.video?.framesDecoded > 0)) return null;
                if (audio && !(s.audio?.packetsReceived > 0)) return null;
            }
            return stats;
        },
        {
            timeoutMs,
            intervalMs: 250,
            what: `[${p.name}] decoded video${audio ? ' + audio' : ''} from ${wanted.join(', ')}`,
            describe: async () =>
                `[${p.name}] subscribers: ${JSON.stringify(await p.stats())}\n[${p.name}] events: ${JSON.stringify(await p.events())}`
        }
    );
}

/**
 * Asserts that framesDecoded (and audio packetsReceived when `audio`) of each of
 * `streamIds` grows on `p` within `windowMs` (same RTCPeerConnection in both samples).
 */
export async function assertMediaGrows(p, streamIds, { audio = false, windowMs = 1_200 } = {}) {
    const before = await waitForDecoding(p, streamIds, { audio });
    await sleep(windowMs);
    const after = await p.stats();
    for (const id of streamIds) {
        const b = before.find((s) => s.streamId === id);
        const a = after.find((s) => s.streamId === id);
        assert.ok(a, `[${p.name}] the subscription to ${id} disappeared: ${JSON.stringify(after)}`);
        assert.equal(a.pcId, b.pcId, `[${p.name}] the RTCPeerConnection of ${id} changed while measuring`);
        assert.ok(
            a.video.framesDecoded > b.video.framesDecoded,
            `[${p.name}] framesDecoded of ${id} did not grow in ${windowMs} ms: ${b.video.framesDecoded} → ${a.video.framesDecoded}`
        );
        if (audio) {
            assert.ok(
                a.audio.packetsReceived > b.audio.packetsReceived,
                `[${p.name}] audio packetsReceived of ${id} did not grow in ${windowMs} ms: ${b.audio.packetsReceived} → ${a.audio.packetsReceived}`
            );
        }
    }
    return after;
}

/** Asserts that no recorded event of `p` matches `match` during the next `ms`. */
export async function assertNoEvent(p, match, { ms = 800, what } = {}) {
    await sleep(ms);
    const found = await p.eventsMatching(match);
    assert.deepEqual(found, [], `[${p.name}] ${what ?? `unexpected event ${JSON.stringify(match)}`}: ${JSON.stringify(found)}`);
}
