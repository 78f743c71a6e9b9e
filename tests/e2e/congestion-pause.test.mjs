// The congestion pause (issue 12; OPENVIDU_WEBRTC_CONGESTION_PAUSE, off by default), with
// the unmodified openvidu-browser. Alice publishes a 640x480 camera (two layers, the lowest
// 320x240) and a microphone; bob's Chromium reaches the server only through the
// openvidu-netem relay (lib/netem.mjs). Squeezed to 60 kbit/s, a link that cannot carry
// even the lowest layer, bob's video stops while his audio goes on; once the link is
// free again his video comes back.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { relayHarnessOptions } from './lib/netem.mjs';
import { waitFor } from './lib/wait.mjs';

const SQUEEZE_KBPS = 60;

// port, route, relay and shaped: lib/netem.mjs relayHarnessOptions.
const s = { port: null, route: null, relay: null, shaped: null, sessionId: null, p: {} };

const h = useHarness('congestion-pause', relayHarnessOptions(s, {
    env: { OPENVIDU_WEBRTC_CONGESTION_PAUSE: 'true' },
    setup: async () => {
        s.sessionId = await h.newSession('congestion-pause');
    }
}));
const step = makeSteps(h, { timeout: 180_000 });

/** Bob's inbound numbers for alice's stream: {video, audio}. */
async function inbound() {
    const stats = await s.p.bob.stats();
    const entry = stats.find((x) => x.streamId === s.p.alice.streamId);
    return {
        frames: entry?.video?.framesDecoded ?? 0,
        videoPackets: entry?.video?.packetsReceived ?? 0,
        videoBytes: entry?.video?.bytesReceived ?? 0,
        audio: entry?.audio?.packetsReceived ?? 0,
        audioLost: entry?.audio?.packetsLost ?? 0
    };
}

/** Whether the server says bob's subscription's video is paused (REST webRtcStats). */
async function pausedOnServer() {
    const session = await h.rest.request('GET', `/sessions/${s.sessionId}?webRtcStats=true`);
    const bob = session.connections.content.find((c) => c.connectionId === s.p.bob.connectionId);
    return bob.subscribers[0].serverStats.videoPaused;
}

/** Samples bob's numbers for `ms`; resolves how much video and audio grew. */
async function growth(ms) {
    const a = await inbound();
    await new Promise((r) => setTimeout(r, ms));
    const b = await inbound();
    return Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
}

step('alice publishes camera and microphone; bob, through the relay, decodes both', async () => {
    const alice = (s.p.alice = await h.publisher('alice', s.sessionId, { audio: true, resolution: '640x480', frameRate: 15 }));
    s.p.bob = await h.participant('bob', { browser: s.shaped });
    s.p.bob.connectionId = (await h.joinSession(s.p.bob, s.sessionId, { publish: false })).r.connectionId;
    await waitForDecoding(s.p.bob, [alice.streamId], { exact: true, timeoutMs: 30_000 });
    const [pair] = await s.p.bob.call('selectedCandidatePairs');
    assert.equal(pair.remote.address, '127.0.0.2', `[bob] through the relay: ${JSON.stringify(pair)}`);
    const g = await growth(2_000);
    assert.ok(g.frames > 10 && g.audio > 50, `[bob] video and audio flow: ${JSON.stringify(g)}`);
    assert.equal(await pausedOnServer(), false);
});

step(`at ${SQUEEZE_KBPS} kbit/s bob's video pauses and his audio goes on`, async (t) => {
    await s.relay.command(`down rate ${SQUEEZE_KBPS}`);
    const started = Date.now();
    const paused = await waitFor(
        async () => {
            const g = await growth(2_000);
            return g.frames === 0 ? g : null;
        },
        { timeoutMs: 40_000, what: '[bob] no video frame for 2 s', describe: async () => JSON.stringify(await inbound()) }
    );
    t.diagnostic(`[bob] video paused ${Date.now() - started} ms after the squeeze: ${JSON.stringify(paused)}`);
    // Opus at 50 packets a second keeps coming (some lost in the queue).
    const g = await growth(3_000);
    t.diagnostic(`[bob] over 3 s while paused: ${JSON.stringify(g)}`);
    assert.equal(g.frames, 0, `[bob] still paused: ${JSON.stringify(g)}`);
    assert.ok(g.audio > 60, `[bob] audio goes on while the video is paused: ${JSON.stringify(g)}`);
    // The server paused it (without the pause the link is just as stuck, the lowest layer
    // pushed into it and str0m's pacer holding it back).
    assert.equal(await pausedOnServer(), true, 'REST webRtcStats: videoPaused');
});

step('once the link is free bob\'s video comes back', async (t) => {
    await s.relay.command('down rate off');
    const started = Date.now();
    await waitFor(
        async () => {
            const g = await growth(1_000);
            return g.frames > 5 ? g : null;
        },
        { timeoutMs: 30_000, what: '[bob] video again', describe: async () => JSON.stringify(await inbound()) }
    );
    t.diagnostic(`[bob] video back ${Date.now() - started} ms after the link was freed`);
    // REST's statistics are refreshed every second.
    await waitFor(async () => (await pausedOnServer()) === false, { timeoutMs: 3_000, what: 'REST webRtcStats: videoPaused false' });
});
