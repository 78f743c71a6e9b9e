// Calls through a network that blocks UDP: a Chromium that may not send any UDP
// (lib/no-udp.mjs: an ip rule for uid 1000 in this namespace) joins a call with a normal
// page. Its only way to the SFU is the embedded TURN server over TCP, which it learns from
// joinRoom's customIceServers; both directions must decode, and every one of its peer
// connections must have selected a `relay` local candidate.
//
// The server's ICE-TCP is turned off, so TURN is the only path (openvidu-browser offers no
// way to set iceTransportPolicy 'relay'); udp-blocked.test.mjs proves the ICE-TCP path.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { useHarness } from './lib/harness.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';
import { launchNoUdpBrowser } from './lib/no-udp.mjs';

const MEDIA_TIMEOUT_MS = 30_000;

const h = useHarness('turn', {
    serverOptions: async () => ({ env: { OPENVIDU_RTC_TCP: 'false' } }),
    setup: async (h) => {
        // Checks, too, that uid 1000's UDP is refused while root's is sent.
        h.noUdp = await launchNoUdpBrowser();
    },
    teardown: async (h) => {
        await h.noUdp?.close();
    }
});

test(
    'a browser that cannot send UDP calls a normal page through the embedded TURN server over TCP',
    { timeout: 120_000 },
    h.guard(async () => {
        const sessionId = await h.newSession('turn');
        const alice = await h.participant('alice');
        const bob = await h.participant('bob-no-udp', { browser: h.noUdp });
        const { r: aliceJoin } = await h.joinSession(alice, sessionId);
        const { r: bobJoin } = await h.joinSession(bob, sessionId);
        assert.ok(aliceJoin.streamId && bobJoin.streamId);

        await waitForDecoding(alice, [bob.streamId], { timeoutMs: MEDIA_TIMEOUT_MS });
        await waitForDecoding(bob, [alice.streamId], { timeoutMs: MEDIA_TIMEOUT_MS });

        const selected = await waitFor(
            async () => {
                const c = await bob.call('selectedCandidatePairs');
                return c.length === 2 && c.every((x) => x.local) ? c : null;
            },
            { timeoutMs: 10_000, what: 'selected candidate pairs of both peer connections' }
        );
        for (const c of selected) {
            assert.equal(c.local.candidateType, 'relay', `[${c.role}] selected local candidate is relayed: ${JSON.stringify(c)}`);
            assert.equal(c.local.relayProtocol, 'tcp', `[${c.role}] reached the TURN server over TCP: ${JSON.stringify(c)}`);
        }
        const aliceSelected = await alice.call('selectedCandidatePairs');
        assert.ok(
            aliceSelected.length > 0 && aliceSelected.every((c) => c.local?.candidateType === 'host'),
            `alice stays on UDP host candidates: ${JSON.stringify(aliceSelected)}`
        );
    })
);
