// A call through a network that blocks UDP (issue 9, item 9: ICE-TCP). Bob's Chromium
// runs as a user whose every UDP send fails (a routing rule, lib/no-udp.mjs); alice's is
// a normal one. With the server's passive TCP candidates (OPENVIDU_RTC_TCP, on by
// default) both publish and each decodes the other; bob's connections select a TCP pair,
// so the call cannot have passed through UDP by accident, while alice stays on UDP.
// With `--rtc-tcp false` bob gets no media and this file fails. The embedded TURN server is
// off here (turn.test.mjs proves that path), or bob could relay over TURN/TCP instead; the
// pages are given its STUN-only stand-in (COTURN_PORT, UDP) then, never a public one.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, roundRates } from './lib/media.mjs';
import { launchNoUdpBrowser } from './lib/no-udp.mjs';
import { waitFor } from './lib/wait.mjs';

const MEDIA_TIMEOUT_MS = 25_000;

const s = { sessionId: null, noUdp: null, p: {} };

const h = useHarness('udp-blocked', {
    serverOptions: async () => ({ env: { OPENVIDU_TURN: 'false' } }),
    setup: async () => {
        s.noUdp = await launchNoUdpBrowser();
        s.sessionId = await h.newSession('udpblocked');
    },
    // Bob's pages are left (in `after`) before this runs; then his browser goes.
    teardown: async () => s.noUdp?.close()
});
const step = makeSteps(h);

/** Waits until every connection of `p` has a selected pair; resolves them. */
async function selectedPairs(p, count) {
    return waitFor(
        async () => {
            const pairs = await p.call('selectedCandidatePairs');
            return pairs.length === count && pairs.every((x) => x.local && x.remote) ? pairs : null;
        },
        {
            timeoutMs: 10_000,
            what: `[${p.name}] ${count} selected candidate pairs`,
            describe: async () => JSON.stringify(await p.call('selectedCandidatePairs'))
        }
    );
}

step('alice (UDP) and bob (no UDP at all) join and publish', async () => {
    s.p.alice = await h.participant('alice');
    s.p.bob = await h.participant('bob', { browser: s.noUdp });
    for (const p of [s.p.alice, s.p.bob]) {
        await h.joinSession(p, s.sessionId, { audio: true });
    }
});

step('each decodes the other: bob sends and receives over TCP', async (t) => {
    const atBob = await waitForDecoding(s.p.bob, [s.p.alice.streamId], { audio: true, exact: true, timeoutMs: MEDIA_TIMEOUT_MS });
    const atAlice = await waitForDecoding(s.p.alice, [s.p.bob.streamId], { audio: true, exact: true, timeoutMs: MEDIA_TIMEOUT_MS });
    t.diagnostic(`bob receives ${JSON.stringify(roundRates(atBob.rates))}`);
    t.diagnostic(`alice receives ${JSON.stringify(roundRates(atAlice.rates))}`);
});

step("bob's connections use a TCP pair to the server's passive candidate; alice's use UDP", async (t) => {
    const bob = await selectedPairs(s.p.bob, 2);
    t.diagnostic(`bob: ${JSON.stringify(bob)}`);
    for (const pair of bob) {
        assert.equal(pair.local.protocol, 'tcp', `[bob] ${pair.role} local candidate: ${JSON.stringify(pair)}`);
        assert.equal(pair.remote.protocol, 'tcp', `[bob] ${pair.role} remote candidate: ${JSON.stringify(pair)}`);
        assert.equal(pair.remote.candidateType, 'host', `[bob] ${pair.role}: the server's own candidate, no relay`);
        assert.equal(pair.remote.address, '127.0.0.1');
    }
    const alice = await selectedPairs(s.p.alice, 2);
    for (const pair of alice) {
        assert.equal(pair.local.protocol, 'udp', `[alice] ${pair.role} still prefers UDP: ${JSON.stringify(pair)}`);
    }
});

step('with the TURN server off, every connection is given the server\'s STUN-only stand-in as its one ICE server, no public one', async () => {
    for (const p of [s.p.alice, s.p.bob]) {
        for (const pc of await p.call('selectedCandidatePairs')) {
            assert.equal(pc.iceServers.length, 1, `[${p.name}] ${pc.role}: ${JSON.stringify(pc.iceServers)}`);
            assert.match(pc.iceServers[0], /^stun:127\.0\.0\.1:\d+$/, `[${p.name}] ${pc.role}`);
        }
    }
});
