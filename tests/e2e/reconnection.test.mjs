// Reconnection (spec §2.3, §3.10, §3.15, §6.4, §12.35).
//
// How a drop is made: DevTools' Network.emulateNetworkConditions({offline:true})
// does NOT close an open WebSocket in Chromium (measured: frames are held and
// delivered when back online), so the page closes the SDK's socket itself
// (code 4000: not a clean 1000 close, the SDK treats it as a network failure)
// and, for `blockMs`, points every new WebSocket at a closed port so that the
// SDK's reconnection attempts fail (ovtest.dropSocket). openvidu-browser retries
// every 3 s: a drop lasts a multiple of 3 s. Hence the server's grace here is
// 5 s: a 3 s drop must be survived, a 9 s drop must not.
//
// Media reconnection: the SDK's public Stream.reconnect() for a subscriber and
// for a publisher, and the automatic path (after a signalling reconnection with
// advanced configuration forceMediaReconnectionAfterNetworkDrop, the SDK's
// reconnectBrokenStreams() renegotiates every stream of the page). The server
// offers subscriptions (mediaServer "mediasoup"), so a subscriber reconnects with
// prepareReceiveVideoFrom {reconnect:true} then reconnectStream {sdpString:
// answer}; a publisher with reconnectStream {sdpString: offer} (spec §3.10).
//
// Two pages: alice (who drops) and bob, both publishing a camera.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertNoEvent } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';

const GRACE_S = 5;
// The server rates every connection now and then (networkQualityLevelChanged): not a sign of a
// second join.
const QUALITY = 'networkQualityLevelChanged';

const h = useHarness('reconnection', {
    serverOptions: { extraArgs: ['--reconnection-grace', String(GRACE_S)] },
    setup: async () => (s.sessionId = await h.newSession('reconn'))
});
const step = makeSteps(h);

const s = { sessionId: null, p: {} };

const join = (p) => h.joinSession(p, s.sessionId);

step('alice and bob join and see each other', async () => {
    for (const name of ['alice', 'bob']) {
        const p = (s.p[name] = await h.participant(name));
        await join(p);
    }
    await waitForDecoding(s.p.bob, [s.p.alice.streamId], { exact: true });
    await waitForDecoding(s.p.alice, [s.p.bob.streamId], { exact: true });
});

step('a 3 s signalling drop: "reconnecting" then "reconnected", same connection, nobody sees alice leave or come back, REST unchanged, media and signals flow', async (t) => {
    const { alice, bob } = s.p;
    const restBefore = await h.rest.getSession(s.sessionId);
    const drop = await alice.call('dropSocket', [{ code: 4000, blockMs: 1_000 }]);
    assert.equal(drop.closed, 1, `alice had one open socket: ${JSON.stringify(drop)}`);
    const reconnecting = await alice.waitForEvent({ type: 'reconnecting' }, { timeoutMs: 3_000 });
    const reconnected = await alice.waitForEvent({ type: 'reconnected' }, { timeoutMs: 10_000 });
    const downMs = reconnected.t - reconnecting.t;
    t.diagnostic(`socket down for ${downMs} ms`);
    assert.ok(downMs >= 2_500, `the drop lasted ${downMs} ms (the SDK's first retry must have failed)`);
    assert.equal(await alice.call('wsReadyState'), 1, 'the SDK socket is open again');
    const sockets = await alice.evaluate(() => window.ovtest.sockets(), undefined, { what: 'sockets' });
    const last = sockets[sockets.length - 1];
    assert.match(last.url, /[?&]reconnect=true/, `the SDK reopened with reconnect=true: ${JSON.stringify(sockets)}`);
    assert.ok(sockets.some((x) => x.blocked), 'a reconnection attempt was made while the network was down');
    assert.equal(await alice.eventsMatching({ type: 'sessionDisconnected' }).then((x) => x.length), 0, '[alice] not disconnected');
    assert.equal((await alice.call('localConnection')).connectionId, alice.connectionId, '[alice] same connection id');

    // bob never saw alice leave nor join again.
    const seen = (await bob.events()).filter((e) => e.connectionId === alice.connectionId && e.type !== QUALITY);
    assert.deepEqual(
        seen.map((e) => e.type),
        ['connectionCreated', 'streamCreated'],
        `[bob] events about alice: ${JSON.stringify(seen)}`
    );
    // REST: the same connections, with the same publisher.
    const restAfter = await h.rest.getSession(s.sessionId);
    const shape = (sess) =>
        sess.connections.content
            .map((c) => ({ id: c.connectionId, status: c.status, publishers: c.publishers.map((x) => x.streamId) }))
            .sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(shape(restAfter), shape(restBefore), 'REST lists the same connections and streams');

    // Media still flows both ways, and the re-bound socket carries requests and notifications.
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    await waitForDecoding(alice, [bob.streamId], { exact: true });
    await alice.call('listenSignals', [['signal:after']]);
    await bob.call('listenSignals', [['signal:after']]);
    assert.equal((await alice.call('signal', [{ data: 'from alice', type: 'after' }])).ok, true);
    assert.equal((await bob.call('signal', [{ data: 'from bob', type: 'after' }])).ok, true);
    for (const p of [alice, bob]) {
        await p.waitForEvent({ type: 'signalEvent', name: 'signal:after', data: 'from alice', from: alice.connectionId }, { timeoutMs: 3_000 });
        await p.waitForEvent({ type: 'signalEvent', name: 'signal:after', data: 'from bob', from: bob.connectionId }, { timeoutMs: 3_000 });
    }
});

step(`a 9 s drop (grace ${GRACE_S} s): bob gets streamDestroyed + connectionDestroyed "networkDisconnect"; alice's late "connect" is refused → sessionDisconnected "networkDisconnect"`, async (t) => {
    const { alice, bob } = s.p;
    const dropAt = Date.now();
    await alice.call('dropSocket', [{ code: 4000, blockMs: 8_000 }]);
    await alice.waitForEvents({ type: 'reconnecting' }, 2, { timeoutMs: 3_000 });
    // Within the grace nothing happens for the others (watched until 1.5 s before it ends).
    await assertNoEvent(bob, (e) => e.connectionId === alice.connectionId && (e.type === 'connectionDestroyed' || e.type === 'streamDestroyed'), {
        ms: Math.max(0, dropAt + (GRACE_S - 1.5) * 1000 - Date.now()),
        what: `alice must be kept for the ${GRACE_S} s grace`
    });
    const cd = await bob.waitForEvent({ type: 'connectionDestroyed', connectionId: alice.connectionId }, { timeoutMs: 6_000 });
    t.diagnostic(`bob told ${Date.now() - dropAt} ms after the drop`);
    assert.equal(cd.reason, 'networkDisconnect', '[bob] connectionDestroyed reason');
    const sd = await bob.waitForEvent({ type: 'streamDestroyed', streamId: alice.streamId });
    assert.equal(sd.reason, 'networkDisconnect', '[bob] streamDestroyed reason');
    assert.ok(sd.t <= cd.t, 'streamDestroyed before connectionDestroyed');
    await h.rest.waitForConnectionIds(s.sessionId, [bob.connectionId], { timeoutMs: 3_000, what: 'bob only' });

    // alice's socket comes back at the SDK's retry after 9 s; its `connect` is refused (40007).
    const gone = await alice.waitForEvent({ type: 'sessionDisconnected' }, { timeoutMs: 12_000 });
    t.diagnostic(`alice disconnected ${Date.now() - dropAt} ms after the drop`);
    assert.equal(gone.reason, 'networkDisconnect', '[alice] sessionDisconnected reason');
    const own = await alice.waitForEvent({ type: 'publisherStreamDestroyed' });
    assert.equal(own.reason, 'networkDisconnect', '[alice] her Publisher\'s streamDestroyed reason');
    assert.equal((await alice.eventsMatching({ type: 'reconnected' })).length, 1, '[alice] no second "reconnected"');
});

/** alice joins again (after the 9 s drop evicted her, or when `fresh`) unless she is connected; both decode. */
async function ensureAliceIn({ fresh = false } = {}) {
    const { alice, bob } = s.p;
    const connected = (await alice.eventsMatching({ type: 'sessionDisconnected' })).length === 0 && (await alice.call('wsReadyState')) === 1;
    if (fresh || !connected) {
        await alice.call('reset');
        await join(alice);
    }
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    await waitForDecoding(alice, [bob.streamId], { exact: true });
}

/** Nobody was told anything about the other: one connectionCreated and one streamCreated each. */
async function assertNobodySeenTwice() {
    const { alice, bob } = s.p;
    for (const [p, other] of [[alice, bob], [bob, alice]]) {
        const about = (await p.events()).filter((e) => e.connectionId === other.connectionId && e.type !== QUALITY);
        assert.deepEqual(about.map((e) => e.type), ['connectionCreated', 'streamCreated'], `[${p.name}] events about ${other.name}: ${JSON.stringify(about)}`);
    }
    const restBob = await h.rest.getConnection(s.sessionId, bob.connectionId);
    assert.deepEqual(restBob.subscribers.map((x) => x.streamId), [alice.streamId], 'REST: bob subscribes once to alice');
    const restAlice = await h.rest.getConnection(s.sessionId, alice.connectionId);
    assert.deepEqual(restAlice.publishers.map((x) => x.streamId), [alice.streamId], 'REST: alice publishes once, same stream id');
}

step('media reconnection of a subscriber: Stream.reconnect() (prepareReceiveVideoFrom reconnect:true + reconnectStream) → a new RTCPeerConnection that decodes; nobody sees anyone twice', async () => {
    const { alice, bob } = s.p;
    await ensureAliceIn();
    const before = await bob.call('peerConnectionId', [alice.streamId]);
    const r = await bob.call('reconnectStream', [alice.streamId], { timeoutMs: 20_000 });
    assert.equal(r.ok, true, `subscriber Stream.reconnect(): ${JSON.stringify(r)}`);
    assert.notEqual(await bob.call('peerConnectionId', [alice.streamId]), before, 'a new subscriber RTCPeerConnection');
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    await assertNobodySeenTwice();
}, { independent: true });

step('media reconnection of a publisher: Stream.reconnect() (reconnectStream with a new offer, same stream id) → its subscribers keep decoding; nobody sees anyone twice', async () => {
    const { alice, bob } = s.p;
    await ensureAliceIn();
    const before = await alice.call('peerConnectionId', [alice.streamId]);
    const r = await alice.call('reconnectStream', [alice.streamId], { timeoutMs: 20_000 });
    assert.equal(r.ok, true, `publisher Stream.reconnect(): ${JSON.stringify(r)}`);
    assert.notEqual(await alice.call('peerConnectionId', [alice.streamId]), before, 'a new publisher RTCPeerConnection');
    assert.equal((await alice.call('localStream')).streamId, alice.streamId, 'the stream id is kept');
    await waitFor(async () => (await alice.publisherStats())?.iceConnectionState === 'connected', {
        timeoutMs: 10_000,
        what: '[alice] the new publisher connection to connect'
    });
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    await assertNobodySeenTwice();
}, { independent: true });

step('automatic media reconnection after a signalling drop (forceMediaReconnectionAfterNetworkDrop): every stream of the page renegotiates; media flows; nobody sees anyone twice', async () => {
    const { alice, bob } = s.p;
    await ensureAliceIn({ fresh: true });
    await alice.call('setAdvancedConfiguration', [{ forceMediaReconnectionAfterNetworkDrop: true }]);
    const pubPc = await alice.call('peerConnectionId', [alice.streamId]);
    const subPc = await alice.call('peerConnectionId', [bob.streamId]);

    // A drop without blocking: the SDK reopens at once, `connect` re-binds, then
    // Session.reconnectBrokenStreams() reconnects every stream (reconnectStream).
    await alice.call('dropSocket', [{ code: 4000, blockMs: 0 }]);
    await alice.waitForEvent({ type: 'reconnected' }, { timeoutMs: 5_000 });
    await waitFor(
        async () =>
            (await alice.call('peerConnectionId', [alice.streamId])) !== pubPc &&
            (await alice.call('peerConnectionId', [bob.streamId])) !== subPc,
        { timeoutMs: 5_000, what: '[alice] new RTCPeerConnections for her publisher and her subscription' }
    );
    await waitFor(async () => (await alice.publisherStats())?.iceConnectionState === 'connected', {
        timeoutMs: 10_000,
        what: '[alice] the new publisher connection to connect',
    });
    await waitForDecoding(alice, [bob.streamId], { exact: true });
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    assert.deepEqual(await alice.eventsMatching({ type: 'exception' }), [], '[alice] no exception event');
    await assertNobodySeenTwice();
}, { independent: true });
