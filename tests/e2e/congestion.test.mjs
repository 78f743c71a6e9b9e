// A subscriber behind a slow link (issue 12), with the unmodified openvidu-browser.
// Alice publishes a 960x540 camera with simulcast (openvidu-browser sends rdiv4 240x135,
// rdiv2 480x270 and rdiv1 960x540). Carol subscribes on a free link; bob's Chromium
// reaches the server only through the openvidu-netem relay (lib/netem.mjs), whose
// server→bob direction is a 300 kbit/s bottleneck. The server's bandwidth estimate of
// bob's subscription (TWCC, str0m) finds the bottleneck and gives bob a lower layer,
// which he keeps decoding, while carol stays on the top one; once the bottleneck is lifted
// bob is back on the top layer within 15 s.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, waitForEncodings } from './lib/media.mjs';
import { relayHarnessOptions } from './lib/netem.mjs';
import { waitFor } from './lib/wait.mjs';

const BOTTLENECK_KBPS = 300;
const RECOVERY_MS = 15_000;
const TOP_HEIGHT = 540;

// port, route, relay and shaped: lib/netem.mjs relayHarnessOptions.
const s = { port: null, route: null, relay: null, shaped: null, sessionId: null, p: {} };

const h = useHarness('congestion', relayHarnessOptions(s, {
    relay: { downKbps: BOTTLENECK_KBPS },
    setup: async () => {
        s.sessionId = await h.newSession('congestion');
    }
}));
const step = makeSteps(h, { timeout: 180_000 });

/** The inbound video numbers of `p` for alice's stream. */
async function video(p) {
    const stats = await p.stats();
    return stats.find((x) => x.streamId === s.p.alice.streamId)?.video ?? null;
}

/**
 * Samples `p`'s video every 250 ms for `ms` and asserts it never stalls: framesDecoded grows
 * in every second. Resolves the heights seen.
 */
async function assertNoStall(p, ms) {
    const samples = [];
    for (let t = 0; t <= ms; t += 250) {
        const v = await video(p);
        samples.push({ at: Date.now(), frames: v?.framesDecoded ?? 0, height: v?.frameHeight });
        await new Promise((r) => setTimeout(r, 250));
    }
    for (const a of samples) {
        const b = samples.find((x) => x.at >= a.at + 1_000);
        if (b) assert.ok(b.frames > a.frames, `[${p.name}] stalled between ${a.at} and ${b.at}: ${JSON.stringify(samples)}`);
    }
    return [...new Set(samples.map((x) => x.height))];
}

step('alice publishes a 960x540 camera in three layers', async () => {
    s.p.alice = await h.publisher('alice', s.sessionId, { resolution: '960x540', frameRate: 15 });
    await waitForEncodings(s.p.alice, 3);
});

step(`bob, behind ${BOTTLENECK_KBPS} kbit/s, gets a lower layer and keeps decoding; carol stays on the top one`, async (t) => {
    s.p.carol = await h.participant('carol');
    s.p.bob = await h.participant('bob', { browser: s.shaped });
    for (const p of [s.p.carol, s.p.bob]) await h.joinSession(p, s.sessionId, { publish: false });
    await waitForDecoding(s.p.carol, [s.p.alice.streamId], { exact: true });
    await waitForDecoding(s.p.bob, [s.p.alice.streamId], { exact: true, timeoutMs: 30_000 });
    // Bob's media comes through the relay.
    const [pair] = await s.p.bob.call('selectedCandidatePairs');
    assert.equal(pair.remote.address, '127.0.0.2', `[bob] through the relay: ${JSON.stringify(pair)}`);
    const low = await waitFor(
        async () => {
            const v = await video(s.p.bob);
            return v && v.frameHeight < TOP_HEIGHT ? v : null;
        },
        { timeoutMs: 20_000, what: '[bob] a layer below the top', describe: async () => JSON.stringify(await video(s.p.bob)) }
    );
    t.diagnostic(`[bob] ${JSON.stringify(low)}`);
    const heights = await assertNoStall(s.p.bob, 4_000);
    t.diagnostic(`[bob] heights while constrained: ${JSON.stringify(heights)}`);
    assert.ok(
        heights.every((x) => x < TOP_HEIGHT),
        `[bob] stays below the top layer: ${JSON.stringify(heights)}`
    );
    // Carol is on the top layer (once alice's own uplink estimate lets her send it).
    await waitFor(
        async () => {
            const v = await video(s.p.carol);
            return v && v.frameHeight === TOP_HEIGHT ? v : null;
        },
        {
            timeoutMs: RECOVERY_MS,
            what: '[carol] the top layer',
            describe: async () => `[carol] ${JSON.stringify(await video(s.p.carol))}; [alice] sends ${JSON.stringify(await s.p.alice.call('publisherLayers'))}`
        }
    );
});

step(`lifting the bottleneck brings bob back to the top layer within ${RECOVERY_MS / 1000} s`, async (t) => {
    await s.relay.command('down rate off');
    const started = Date.now();
    const top = await waitFor(
        async () => {
            const v = await video(s.p.bob);
            return v && v.frameHeight === TOP_HEIGHT ? v : null;
        },
        { timeoutMs: RECOVERY_MS, what: '[bob] back on the top layer', describe: async () => JSON.stringify(await video(s.p.bob)) }
    );
    t.diagnostic(`[bob] top layer after ${Date.now() - started} ms: ${JSON.stringify(top)}`);
    await assertNoStall(s.p.bob, 2_000);
});
