// Network quality (issue 12), with the unmodified openvidu-browser: the server rates every
// connection from 0 (broken) to 5 (excellent) and tells every participant each change
// (networkQualityLevelChanged, OpenVidu Pro's event, which openvidu-browser 2.32 emits on
// the Session). Alice's Chromium reaches the server only through the openvidu-netem relay
// (lib/netem.mjs), bob's directly; both publish a camera and a microphone and receive each
// other. Sampled every second here. On clean links both are rated well; 10 % loss on
// alice's uplink brings her level down, as seen by her and by bob, while bob stays well
// rated; without the loss alice's level comes back.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { relayHarnessOptions } from './lib/netem.mjs';
import { waitFor } from './lib/wait.mjs';

const SETTLE_MS = 30_000;

// port, route, relay and shaped: lib/netem.mjs relayHarnessOptions.
const s = { port: null, route: null, relay: null, shaped: null, sessionId: null, p: {} };

const h = useHarness('network-quality', relayHarnessOptions(s, {
    env: { OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL: '1' },
    setup: async () => {
        s.sessionId = await h.newSession('network-quality');
    }
}));
const step = makeSteps(h, { timeout: 180_000 });

/** The latest level `p` was told for `connectionId`, or null. */
async function latest(p, connectionId) {
    const levels = (await p.eventsMatching({ type: 'networkQualityLevelChanged', connectionId })).map((e) => e.newValue);
    return levels.length ? levels[levels.length - 1] : null;
}

/** Waits until the latest level `p` was told for `of`'s connection satisfies `ok`. */
async function waitForLevel(p, of, what, ok) {
    return waitFor(
        async () => {
            const level = await latest(p, of.connectionId);
            return level !== null && ok(level) ? { level } : null;
        },
        {
            timeoutMs: SETTLE_MS,
            what: `[${p.name}] ${of.name}'s level ${what}`,
            describe: async () =>
                JSON.stringify(await p.eventsMatching({ type: 'networkQualityLevelChanged' }))
        }
    );
}

step('alice (through the relay) and bob publish and receive each other', async () => {
    s.p.alice = await h.participant('alice', { browser: s.shaped });
    s.p.bob = await h.participant('bob');
    for (const p of [s.p.alice, s.p.bob]) {
        const { r } = await h.joinSession(p, s.sessionId, { audio: true, video: true });
        p.connectionId = r.connectionId;
        p.streamId = r.streamId;
    }
    await waitForDecoding(s.p.alice, [s.p.bob.streamId], { exact: true, timeoutMs: 30_000 });
    await waitForDecoding(s.p.bob, [s.p.alice.streamId], { exact: true, timeoutMs: 30_000 });
    const [pair] = await s.p.alice.call('selectedCandidatePairs');
    assert.equal(pair.remote.address, '127.0.0.2', `[alice] through the relay: ${JSON.stringify(pair)}`);
});

step('on clean links both are rated 4 or 5, and every participant is told both levels', async () => {
    for (const viewer of [s.p.alice, s.p.bob]) {
        for (const of of [s.p.alice, s.p.bob]) await waitForLevel(viewer, of, 'of 4 or more', (l) => l >= 4);
    }
    const [first] = await s.p.bob.eventsMatching({ type: 'networkQualityLevelChanged', connectionId: s.p.alice.connectionId });
    assert.equal(typeof first.oldValue, 'number', JSON.stringify(first));
});

step('10 % loss on alice\'s uplink lowers her level, for her and for bob; bob stays well rated', async (t) => {
    await s.relay.command('up loss 10');
    const seenByBob = await waitForLevel(s.p.bob, s.p.alice, 'of 2 or less', (l) => l <= 2);
    await waitForLevel(s.p.alice, s.p.alice, 'of 2 or less', (l) => l <= 2);
    const own = await latest(s.p.bob, s.p.bob.connectionId);
    t.diagnostic(`[bob] alice's level with 10 % loss: ${seenByBob.level}; his own: ${own}`);
    assert.ok(own >= 3, JSON.stringify(await s.p.bob.events()));
});

step('without the loss alice\'s level comes back', async () => {
    await s.relay.command('up loss 0');
    await waitForLevel(s.p.bob, s.p.alice, 'of 4 or more again', (l) => l >= 4);
    await waitForLevel(s.p.alice, s.p.alice, 'of 4 or more again', (l) => l >= 4);
});
