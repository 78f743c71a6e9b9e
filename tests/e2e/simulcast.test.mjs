// Simulcast with the unmodified openvidu-browser. The server's joinRoom answers
// videoSimulcast: true (OPENVIDU_WEBRTC_SIMULCAST, on by default) with mediaServer
// "mediasoup", so openvidu-browser sends a camera of 640x480 as two layers: rdiv2
// (320x240) and rdiv1 (640x480); it picks two layers from 480x270 up and three from
// 960x540. The server receives both and forwards one to each subscriber: the top one
// while nothing limits it. A publisher whose own videoSimulcast property is false sends
// one encoding, which its subscribers decode as before.
//
// Our SDK (sdk/browser) makes the same layers, and its subscribers report how large they
// show each video (updateSubscription, openvidu-rs's own): the server forwards the lowest
// layer that fills the element, so a thumbnail receives the low layer; when no
// subscriber needs a publisher's top layer, a REMB cap makes Chrome stop encoding it.
// Pages: alice publishes with simulcast, dave without, erin with on our SDK; bob and carol
// subscribe on openvidu-browser (which reports nothing: the top layer), frank on our SDK.
// The test page shows every video at 160x120 (page/index.html).

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, waitForSize, roundRates } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';

const h = useHarness('simulcast', {
    setup: async () => (s.sessionId = await h.newSession('simulcast'))
});
const step = makeSteps(h);

const s = { sessionId: null, p: {} };

/**
 * Connects `name` (on `sdk`, default the file's; with the connection's `kurentoOptions`)
 * and publishes its 640x480 camera (no audio) with `simulcast` as given.
 */
async function publisher(name, simulcast, options = {}) {
    return (s.p[name] = await h.publisher(name, s.sessionId, { resolution: '640x480', frameRate: 30, simulcast }, options));
}

/** Waits until `p` encodes each of `rids` (null: one encoding without a rid) at a sustained rate. */
async function waitForLayers(p, rids) {
    let first = null;
    return waitFor(
        async () => {
            const layers = await p.call('publisherLayers');
            if (JSON.stringify(layers.map((l) => l.rid)) !== JSON.stringify(rids)) return null;
            if (!first) {
                first = layers;
                return null;
            }
            const grew = layers.every((l, i) => l.framesEncoded >= first[i].framesEncoded + 10);
            return grew ? layers : null;
        },
        {
            timeoutMs: 20_000,
            what: `[${p.name}] encodes ${JSON.stringify(rids)}`,
            describe: async () => `[${p.name}] layers: ${JSON.stringify(await p.call('publisherLayers'))}`
        }
    );
}

step('GET /config reports OPENVIDU_WEBRTC_SIMULCAST true', async () => {
    const config = await h.rest.request('GET', '/config');
    assert.equal(config.OPENVIDU_WEBRTC_SIMULCAST, true);
});

step('alice publishes a 640x480 camera: openvidu-browser sends layers rdiv1 (640x480) and rdiv2 (320x240)', async (t) => {
    const alice = await publisher('alice', undefined);
    const layers = await waitForLayers(alice, ['rdiv1', 'rdiv2']);
    t.diagnostic(`[alice] layers: ${JSON.stringify(layers)}`);
    assert.deepEqual(
        layers.map((l) => [l.rid, l.frameHeight]),
        [
            ['rdiv1', 480],
            ['rdiv2', 240]
        ]
    );
});

step('bob and carol subscribe: each decodes alice at 640x480, the top layer', async (t) => {
    for (const name of ['bob', 'carol']) {
        const p = (s.p[name] = await h.participant(name));
        await h.joinSession(p, s.sessionId, { publish: false });
    }
    for (const name of ['bob', 'carol']) {
        const stats = await waitForDecoding(s.p[name], [s.p.alice.streamId], { exact: true });
        t.diagnostic(`[${name}] per second: ${JSON.stringify(roundRates(stats.rates))}`);
        await waitForSize(s.p[name], s.p.alice.streamId, [640, 480]);
    }
});

step('dave publishes with videoSimulcast: false: one encoding, which bob decodes at 640x480', async () => {
    const dave = await publisher('dave', false);
    await waitForLayers(dave, [null]);
    await waitForDecoding(s.p.bob, [s.p.alice.streamId, dave.streamId], { exact: true });
    await waitForSize(s.p.bob, dave.streamId, [640, 480]);
});

step('erin publishes on our SDK: the same two layers, which bob decodes at 640x480', async () => {
    // Four pages at most at a time on two cores.
    await s.p.dave.leave();
    await s.p.dave.page.close();
    const erin = await publisher('erin', undefined, { sdk: 'ours' });
    const layers = await waitForLayers(erin, ['rdiv1', 'rdiv2']);
    assert.deepEqual(
        layers.map((l) => [l.rid, l.frameHeight]),
        [
            ['rdiv1', 480],
            ['rdiv2', 240]
        ]
    );
    await waitForDecoding(s.p.bob, [s.p.alice.streamId, erin.streamId], { exact: true });
    await waitForSize(s.p.bob, erin.streamId, [640, 480]);
});

/**
 * Checks that `p` keeps decoding `streamId` at `size` for `ms` (a subscription starts on
 * whatever layer arrives first, so one sample at a low size proves nothing).
 */
async function staysAt(p, streamId, size, ms = 3000) {
    const video = async () => (await p.stats()).find((x) => x.streamId === streamId)?.video;
    const before = await video();
    await new Promise((r) => setTimeout(r, ms));
    const after = await video();
    assert.deepEqual([after?.frameWidth, after?.frameHeight], size, `[${p.name}] ${streamId}: ${JSON.stringify(after)}`);
    assert.ok(after.framesDecoded >= before.framesDecoded + (ms / 1000) * 5, `[${p.name}] decoding: ${JSON.stringify([before, after])}`);
}

/** Sets the CSS size of every <video> of `p` showing `streamId` (`display: none` with `hidden`). */
async function resizeVideo(p, streamId, { width, height, hidden = false }) {
    await p.page.evaluate(
        ({ id, width, height, hidden }) => {
            for (const v of document.querySelectorAll(`#sub-${CSS.escape(id)} video`)) {
                v.style.width = `${width}px`;
                v.style.height = `${height}px`;
                v.style.display = hidden ? 'none' : '';
            }
        },
        { id: streamId, width, height, hidden }
    );
}

step('frank on our SDK shows alice as a 160x120 thumbnail: it receives the low layer (320x240), bob still the top one', async (t) => {
    // Four pages at most at a time on two cores.
    await s.p.carol.leave();
    await s.p.carol.page.close();
    const frank = (s.p.frank = await h.participant('frank', { sdk: 'ours' }));
    await h.joinSession(frank, s.sessionId, { publish: false });
    const v = await waitForSize(frank, s.p.alice.streamId, [320, 240]);
    t.diagnostic(`[frank] alice: ${JSON.stringify(v)}`);
    await staysAt(frank, s.p.alice.streamId, [320, 240]);
    // Erin's too (our SDK's layers), and bob's view is unchanged.
    await waitForSize(frank, s.p.erin.streamId, [320, 240]);
    await waitForSize(s.p.bob, s.p.alice.streamId, [640, 480]);
});

step('frank hides alice (display: none): still the low layer, still decoding', async () => {
    await resizeVideo(s.p.frank, s.p.alice.streamId, { width: 640, height: 480, hidden: true });
    await waitForSize(s.p.frank, s.p.alice.streamId, [320, 240]);
    await staysAt(s.p.frank, s.p.alice.streamId, [320, 240]);
});

/** The frames `p` encodes per second on each simulcast layer, over `ms`. */
async function layerRates(p, ms = 2000) {
    const before = await p.call('publisherLayers');
    await new Promise((r) => setTimeout(r, ms));
    const after = await p.call('publisherLayers');
    return Object.fromEntries(after.map((l) => [l.rid, ((l.framesEncoded - (before.find((b) => b.rid === l.rid)?.framesEncoded ?? 0)) * 1000) / ms]));
}

step("bob leaves: no one needs alice's top layer, so the server caps her uplink (REMB) and openvidu-browser stops encoding rdiv1", async (t) => {
    await s.p.bob.leave();
    await s.p.bob.page.close();
    const rates = await waitFor(
        async () => {
            const r = await layerRates(s.p.alice);
            return r.rdiv1 < 1 && r.rdiv2 >= 5 ? r : null;
        },
        { timeoutMs: 20_000, what: '[alice] rdiv1 no longer encoded, rdiv2 still', describe: async () => JSON.stringify(await s.p.alice.call('publisherLayers')) }
    );
    t.diagnostic(`[alice] frames/s per layer: ${JSON.stringify(rates)}`);
    await staysAt(s.p.frank, s.p.alice.streamId, [320, 240]);
});

step('frank shows alice large: the cap ends, alice encodes rdiv1 again and frank receives it; erin stays a thumbnail', async (t) => {
    await resizeVideo(s.p.frank, s.p.alice.streamId, { width: 640, height: 480 });
    await waitForSize(s.p.frank, s.p.alice.streamId, [640, 480], { timeoutMs: 30_000 });
    t.diagnostic(`[alice] frames/s per layer: ${JSON.stringify(await layerRates(s.p.alice))}`);
    const erin = (await s.p.frank.stats()).find((x) => x.streamId === s.p.erin.streamId)?.video;
    assert.equal(erin?.frameHeight, 240, JSON.stringify(erin));
});

/** The video bit/s `p` sends (every layer), over `ms`. */
async function sendRate(p, ms = 3000) {
    const bytes = async () => (await p.call('publisherLayers')).reduce((sum, l) => sum + l.bytesSent, 0);
    const before = await bytes();
    await new Promise((r) => setTimeout(r, ms));
    return ((await bytes()) - before) * 8 * (1000 / ms);
}

step('gina publishes with kurentoOptions videoMaxRecvBandwidth 100 (and min 0): the server holds her to it by REMB; alice sends more', async (t) => {
    // Without her own minimum the server's (OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH, 300) would raise the limit.
    const gina = await publisher('gina', false, { kurentoOptions: { videoMaxRecvBandwidth: 100, videoMinRecvBandwidth: 0 } });
    await waitForLayers(gina, [null]);
    await waitForDecoding(s.p.frank, [gina.streamId]);
    // Past the browser's start-up ramp.
    await new Promise((r) => setTimeout(r, 5000));
    const [ginaBps, aliceBps] = await Promise.all([sendRate(gina), sendRate(s.p.alice)]);
    t.diagnostic(`sent, bit/s: gina ${Math.round(ginaBps)}, alice ${Math.round(aliceBps)}`);
    // 100 kbit/s of video plus the REMB's 50 kbit/s of headroom, and the encoder's
    // overshoot (unlimited, she would be ramping past 450 kbit/s by now).
    assert.ok(ginaBps < 220_000, `gina sends ${ginaBps} bit/s`);
    assert.ok(aliceBps > 400_000, `alice, unlimited, sends ${aliceBps} bit/s: the check would not tell`);
});
