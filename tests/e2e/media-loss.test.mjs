// The server ends what a dead media connection carried (issue 8, item 1): a
// publisher's RTCPeerConnection closed by script, with no RPC at all, is first
// given the time of the SDK's own media reconnection (a Stream.reconnect() within
// it keeps the same stream and its subscribers), and only when that chance has
// passed does the stream end: the others get `streamDestroyed` with reason
// `mediaServerDisconnect`, the owner's Publisher too, and REST lists no publisher.
//
// The server runs with `--rtc-peer-timeout 3` (default 30 s) so that "the chance
// has passed" takes seconds.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertNoEvent } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';

const PEER_TIMEOUT_S = 3;

const h = useHarness('media-loss', {
    serverOptions: { extraArgs: ['--rtc-peer-timeout', String(PEER_TIMEOUT_S)] },
    setup: async () => (s.sessionId = await h.newSession('medialoss'))
});
const step = makeSteps(h);

const s = { sessionId: null, p: {} };

const publishersOf = async (connectionId) =>
    (await h.rest.getConnection(s.sessionId, connectionId)).publishers.map((x) => x.streamId);

step('alice and bob publish and see each other', async () => {
    for (const name of ['alice', 'bob']) {
        const p = (s.p[name] = await h.participant(name));
        await h.joinSession(p, s.sessionId);
    }
    await waitForDecoding(s.p.bob, [s.p.alice.streamId], { exact: true });
    await waitForDecoding(s.p.alice, [s.p.bob.streamId], { exact: true });
});

step('a closed publisher connection repaired in time by Stream.reconnect() ends nothing', async () => {
    const { alice, bob } = s.p;
    const before = await alice.call('peerConnectionId', [alice.streamId]);
    await alice.call('closePeerConnection', [alice.streamId]);
    await alice.call('reconnectStream', [alice.streamId]);
    assert.notEqual(await alice.call('peerConnectionId', [alice.streamId]), before, 'a new RTCPeerConnection');
    // Longer than the server's timeout: had the closed connection not been replaced, the
    // stream would have ended meanwhile.
    await assertNoEvent(bob, { type: 'streamDestroyed' }, { ms: (PEER_TIMEOUT_S + 2) * 1_000, what: '[bob] streamDestroyed' });
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    assert.deepEqual(await publishersOf(alice.connectionId), [alice.streamId], 'REST still lists the same stream');
});

step('a closed publisher connection left alone: streamDestroyed (mediaServerDisconnect) everywhere, REST lists no publisher, the rest of the call goes on', async (t) => {
    const { alice, bob } = s.p;
    const closedAt = Date.now();
    await alice.call('closePeerConnection', [alice.streamId]);
    const gone = await bob.waitForEvent(
        { type: 'streamDestroyed', streamId: alice.streamId },
        { timeoutMs: (PEER_TIMEOUT_S + 10) * 1_000 }
    );
    t.diagnostic(`streamDestroyed after ${Date.now() - closedAt} ms`);
    assert.equal(gone.reason, 'mediaServerDisconnect', `[bob] ${JSON.stringify(gone)}`);
    assert.ok(Date.now() - closedAt >= PEER_TIMEOUT_S * 1_000, 'not before the reconnection chance passed');
    const own = await alice.waitForEvent({ type: 'publisherStreamDestroyed', streamId: alice.streamId });
    assert.equal(own.reason, 'mediaServerDisconnect', `[alice] ${JSON.stringify(own)}`);
    await waitFor(async () => (await publishersOf(alice.connectionId)).length === 0, {
        timeoutMs: 5_000,
        what: 'REST lists no publisher for alice'
    });
    assert.deepEqual(await publishersOf(bob.connectionId), [bob.streamId], 'bob still publishes');
    // Alice is still in the call, and still receives bob on her own connection.
    await h.rest.waitForConnectionIds(s.sessionId, [alice.connectionId, bob.connectionId]);
    await waitForDecoding(alice, [bob.streamId], { exact: true });
});
