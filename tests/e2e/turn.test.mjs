// Calls through a network that blocks UDP: a Chromium that may not send any UDP
// (lib/no-udp-turn.mjs: an ip rule for uid 1000 in this namespace) joins a call with a
// normal page. Its only way to the SFU is the embedded TURN server over TCP, which it
// learns from joinRoom's customIceServers; both directions must decode, and every one of
// its peer connections must have selected a `relay` local candidate.
//
// The server's ICE-TCP is turned off, so TURN is the only path (openvidu-browser offers no
// way to set iceTransportPolicy 'relay'); udp-blocked.test.mjs proves the ICE-TCP path.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Participant, useHarness } from './lib/harness.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';
import { allowUdpForUid, launchNoUdpBrowser, prohibitUdpForUid, selectedLocalCandidates, udpSendAsUid } from './lib/no-udp-turn.mjs';

const MEDIA_TIMEOUT_MS = 30_000;

const h = useHarness('turn', {
    serverOptions: async () => ({ env: { OPENVIDU_RTC_TCP: 'false' } }),
    setup: async (h) => {
        prohibitUdpForUid();
        h.noUdp = await launchNoUdpBrowser();
    },
    teardown: async (h) => {
        await h.noUdp?.close();
        allowUdpForUid();
    }
});

/** A page of the UDP-less browser on the test page, saved with the artifacts like the others. */
async function noUdpParticipant(name) {
    const page = await h.noUdp.context.newPage();
    const p = new Participant(page, name);
    h.participants.push(p);
    await page.goto(h.pages.url, { timeout: 15_000 });
    await page.waitForFunction(() => window.ovtest && window.ovtest.ready === true, undefined, { timeout: 10_000 });
    return p;
}

test(
    'a browser that cannot send UDP calls a normal page through the embedded TURN server over TCP',
    { timeout: 120_000 },
    h.guard(async () => {
        assert.equal(udpSendAsUid(), 'blocked EACCES', 'the routing rule stops UDP for the no-UDP browser');

        const sessionId = await h.newSession('turn');
        const alice = await h.participant('alice');
        const bob = await noUdpParticipant('bob-no-udp');
        const { r: aliceJoin } = await h.joinSession(alice, sessionId);
        const { r: bobJoin } = await h.joinSession(bob, sessionId);
        assert.ok(aliceJoin.streamId && bobJoin.streamId);

        await waitForDecoding(alice, [bob.streamId], { timeoutMs: MEDIA_TIMEOUT_MS });
        await waitForDecoding(bob, [alice.streamId], { timeoutMs: MEDIA_TIMEOUT_MS });

        const selected = await waitFor(
            async () => {
                const c = await bob.evaluate(selectedLocalCandidates, undefined, { what: 'selected candidates' });
                return c.length === 2 && c.every((x) => x.candidateType) ? c : null;
            },
            { timeoutMs: 10_000, what: 'selected candidate pairs of both peer connections' }
        );
        for (const c of selected) {
            assert.equal(c.candidateType, 'relay', `[${c.id}] selected local candidate is relayed: ${JSON.stringify(c)}`);
            assert.equal(c.relayProtocol, 'tcp', `[${c.id}] reached the TURN server over TCP: ${JSON.stringify(c)}`);
        }
        const aliceSelected = await alice.evaluate(selectedLocalCandidates, undefined, { what: 'selected candidates' });
        assert.ok(aliceSelected.every((c) => c.candidateType === 'host'), `alice stays on UDP host candidates: ${JSON.stringify(aliceSelected)}`);
    })
);
