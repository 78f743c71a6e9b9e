// forcedVideoCodec with Chromium: for each video codec Chromium encodes (VP8, H.264, VP9,
// and AV1, an openvidu-rs addition), a session forcing it makes the unmodified
// openvidu-browser publish in it, with simulcast (two layers of a 640x480 camera), and its
// subscribers decode it: bob on openvidu-browser the top layer, carol on our SDK, showing
// the video as a thumbnail, the low one; carol's video shown large then switches her to
// the top layer, at a keyframe of that codec. H.264's profile is the same on both sides.
// VP9 without simulcast, one encoding, is forwarded whole (Chrome sends it as L1T1: no SVC
// layers, as openvidu-browser never asks for a scalabilityMode).
// (An offer without the forced codec, error 800, is tested in tests/it/forced_codec.rs:
// Chromium offers every codec here.)

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, waitForEncodings, waitForSize } from './lib/media.mjs';

const h = useHarness('codecs');
const step = makeSteps(h);

/** The `profile-level-id` of an H.264 fmtp line. */
const profileOf = (fmtp) => /profile-level-id=([0-9a-f]{6})/i.exec(fmtp ?? '')?.[1]?.toLowerCase() ?? null;

/** Sets the CSS size of `p`'s videos of `streamId`. */
async function resizeVideo(p, streamId, width, height) {
    await p.page.evaluate(
        ({ id, width, height }) => {
            for (const v of document.querySelectorAll(`#sub-${CSS.escape(id)} video`)) {
                v.style.width = `${width}px`;
                v.style.height = `${height}px`;
            }
        },
        { id: streamId, width, height }
    );
}

for (const codec of ['VP8', 'H264', 'VP9', 'AV1']) {
    step(`forcedVideoCodec ${codec}: alice publishes ${codec} in two layers, bob decodes the top one, carol's thumbnail the low one, then the top one`, async (t) => {
        const sessionId = h.uniqueId(`codec-${codec}`);
        const session = await h.rest.request('POST', '/sessions', { customSessionId: sessionId, forcedVideoCodec: codec });
        assert.equal(session.forcedVideoCodec, codec);

        const alice = await h.publisher(`alice-${codec}`, sessionId, { resolution: '640x480', frameRate: 15 });
        const layers = await waitForEncodings(alice, 2);
        t.diagnostic(`[alice] ${JSON.stringify(layers.map(({ rid, codec, fmtp, encoder }) => ({ rid, codec, fmtp, encoder })))}`);
        for (const l of layers) assert.equal(l.codec, `video/${codec}`, `[alice] ${l.rid}: ${JSON.stringify(l)}`);

        const bob = await h.participant(`bob-${codec}`);
        await h.joinSession(bob, sessionId, { publish: false });
        const top = await waitForSize(bob, alice.streamId, [640, 480], { timeoutMs: 20_000 });
        assert.equal(top.codec, `video/${codec}`, `[bob] ${JSON.stringify(top)}`);
        t.diagnostic(`[bob] ${JSON.stringify({ codec: top.codec, fmtp: top.fmtp })}`);
        if (codec === 'H264') {
            const sent = profileOf(layers[0].fmtp);
            assert.ok(sent, `[alice] H.264 without a profile: ${layers[0].fmtp}`);
            assert.equal(profileOf(top.fmtp), sent, `H.264 profiles: alice ${layers[0].fmtp}, bob ${top.fmtp}`);
        }

        const carol = await h.participant(`carol-${codec}`, { sdk: 'ours' });
        await h.joinSession(carol, sessionId, { publish: false });
        const low = await waitForSize(carol, alice.streamId, [320, 240], { timeoutMs: 20_000 });
        assert.equal(low.codec, `video/${codec}`, `[carol] ${JSON.stringify(low)}`);
        await resizeVideo(carol, alice.streamId, 640, 480);
        const up = await waitForSize(carol, alice.streamId, [640, 480], { timeoutMs: 20_000 });
        assert.ok(up.keyFramesDecoded > low.keyFramesDecoded, `[carol] switched at a keyframe: ${JSON.stringify([low, up])}`);
        // Still decoding after the switch.
        await waitForDecoding(carol, [alice.streamId]);

        for (const p of [carol, bob, alice]) {
            await p.leave();
            await p.page.close();
        }
    });
}

step('forcedVideoCodec VP9 without simulcast: alice sends one VP9 encoding, forwarded whole, which bob decodes at 640x480', async (t) => {
    const sessionId = h.uniqueId('codec-vp9-single');
    await h.rest.request('POST', '/sessions', { customSessionId: sessionId, forcedVideoCodec: 'VP9' });
    const alice = await h.publisher('alice-vp9-single', sessionId, { resolution: '640x480', frameRate: 15, simulcast: false });
    const [layer] = await waitForEncodings(alice, 1);
    t.diagnostic(`[alice] ${JSON.stringify(layer)}`);
    assert.equal(layer.rid, null);
    assert.equal(layer.codec, 'video/VP9');
    const bob = await h.participant('bob-vp9-single');
    await h.joinSession(bob, sessionId, { publish: false });
    const v = await waitForSize(bob, alice.streamId, [640, 480], { timeoutMs: 20_000 });
    assert.equal(v.codec, 'video/VP9', JSON.stringify(v));
});
