// Roles and moderation, as an application using openvidu-browser sees them.
//
// One session, four pages: a MODERATOR (camera), a PUBLISHER (camera), a
// SUBSCRIBER (no camera) and "xavier", a PUBLISHER that gets evicted (and joins
// again with a fresh token: a page can reset and rejoin).
//
// openvidu-browser maps a JSON-RPC error 401 of publishVideo / forceDisconnect /
// forceUnpublish to an OpenViduError {name: 'OPENVIDU_PERMISSION_DENIED'}
// (Stream.initWebRtcPeerSend, Session.forceDisconnect/forceUnpublish); it is not
// an `Error` instance. Eviction reasons (spec §3.13, §4.3–§4.5, §6.2, §8.3):
// forceUnpublishByUser / forceDisconnectByUser (moderator), forceUnpublishByServer
// / forceDisconnectByServer / sessionClosedByServer (REST).

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertNoEvent } from './lib/media.mjs';

const h = useHarness('roles', { setup: async () => (s.sessionId = await h.newSession('roles')) });
const step = makeSteps(h);

const s = {
    sessionId: null,
    /** name → Participant */
    p: {}
};


/** Asserts a settle() result is a rejection with OpenViduError OPENVIDU_PERMISSION_DENIED. */
function assertPermissionDenied(r, what) {
    const dump = JSON.stringify(r);
    assert.equal(r.ok, false, `${what} must be refused: ${dump}`);
    assert.ok(!r.timedOut, `${what} must be rejected, not hang: ${dump}`);
    assert.equal(r.error.name, 'OPENVIDU_PERMISSION_DENIED', `${what}: error name: ${dump}`);
    assert.equal(r.error.constructorName, 'OpenViduError', `${what}: the SDK's OpenViduError: ${dump}`);
}

const waitForActive = (ids, what) => h.rest.waitForConnectionIds(s.sessionId, ids, { what });

/** Resets `p`'s page and joins again as a publishing PUBLISHER with a new token. */
async function rejoin(p, role = 'PUBLISHER') {
    await p.call('reset');
    return (await h.joinSession(p, s.sessionId, { role, data: `server-${p.name}` })).r;
}

/**
 * `evicted` gets sessionDisconnected and its Publisher's streamDestroyed with `reason`,
 * `others` streamDestroyed + connectionDestroyed with `reason`; REST lists only `others`.
 */
async function assertEvicted(evicted, others, reason) {
    const gone = await evicted.waitForEvent({ type: 'sessionDisconnected' });
    assert.equal(gone.reason, reason, `[${evicted.name}] sessionDisconnected reason`);
    const ownStream = await evicted.waitForEvent({ type: 'publisherStreamDestroyed' });
    assert.equal(ownStream.reason, reason, `[${evicted.name}] its Publisher's streamDestroyed reason`);
    for (const p of others) {
        const sd = await p.waitForEvent({ type: 'streamDestroyed', streamId: evicted.streamId });
        assert.equal(sd.reason, reason, `[${p.name}] streamDestroyed reason`);
        const cd = await p.waitForEvent({ type: 'connectionDestroyed', connectionId: evicted.connectionId });
        assert.equal(cd.reason, reason, `[${p.name}] connectionDestroyed reason`);
    }
    await waitForActive(others.map((p) => p.connectionId), others.map((p) => p.name).join(', '));
}

step('MODERATOR, PUBLISHER and SUBSCRIBER join; session.capabilities and connection.role reflect each role', async () => {
    const plan = [
        ['mod', 'MODERATOR', true],
        ['pub', 'PUBLISHER', true],
        ['sub', 'SUBSCRIBER', false],
        ['xavier', 'PUBLISHER', true]
    ];
    for (const [name, role, publish] of plan) {
        const p = (s.p[name] = await h.participant(name));
        const { r } = await h.joinSession(p, s.sessionId, { role, data: `server-${name}`, publish });
        assert.equal(r.role, role, `[${name}] joinRoom role`);
    }
    const expected = {
        mod: { subscribe: true, publish: true, forceUnpublish: true, forceDisconnect: true },
        pub: { subscribe: true, publish: true, forceUnpublish: false, forceDisconnect: false },
        sub: { subscribe: true, publish: false, forceUnpublish: false, forceDisconnect: false },
        xavier: { subscribe: true, publish: true, forceUnpublish: false, forceDisconnect: false }
    };
    for (const [name, caps] of Object.entries(expected)) {
        assert.deepEqual(await s.p[name].call('capabilities'), caps, `[${name}] session.capabilities`);
    }
    assert.equal((await s.p.sub.call('localConnection')).role, 'SUBSCRIBER');
    // Everyone receives the three cameras (the subscriber too).
    const cams = [s.p.mod.streamId, s.p.pub.streamId, s.p.xavier.streamId];
    for (const name of Object.keys(s.p)) {
        await waitForDecoding(s.p[name], cams.filter((id) => id !== s.p[name].streamId), { exact: true });
    }
});

step('a SUBSCRIBER: session.publish() rejects with OPENVIDU_PERMISSION_DENIED (JSON-RPC 401) and nothing is published', async () => {
    const sub = s.p.sub;
    const r = await sub.call('publish', [{ audio: false, video: true }], { timeoutMs: 40_000 });
    assert.equal(r.stage, 'publish', `initPublisher works, session.publish() is what fails: ${JSON.stringify(r)}`);
    assertPermissionDenied(r, 'SUBSCRIBER session.publish()');
    const conn = await h.rest.getConnection(s.sessionId, sub.connectionId);
    assert.deepEqual(conn.publishers, [], 'REST: the subscriber has no publisher');
    await assertNoEvent(s.p.mod, { type: 'streamCreated', connectionId: sub.connectionId }, {
        what: 'the others are told of no stream of the subscriber'
    });
});

step('a PUBLISHER: forceDisconnect and forceUnpublish reject with OPENVIDU_PERMISSION_DENIED and change nothing', async () => {
    const pub = s.p.pub;
    assertPermissionDenied(await pub.call('forceDisconnect', [s.p.sub.connectionId]), 'PUBLISHER forceDisconnect');
    assertPermissionDenied(await pub.call('forceUnpublish', [s.p.mod.streamId]), 'PUBLISHER forceUnpublish');
    await assertNoEvent(s.p.mod, { type: 'publisherStreamDestroyed' }, { ms: 500 });
    for (const name of ['mod', 'sub', 'xavier']) {
        const destroyed = await s.p[name].eventsMatching({ type: 'streamDestroyed' });
        const left = await s.p[name].eventsMatching({ type: 'connectionDestroyed' });
        assert.deepEqual([...destroyed, ...left], [], `[${name}] nothing was destroyed`);
    }
    await waitForActive(Object.values(s.p).map((p) => p.connectionId), 'the four participants');
});

step('a MODERATOR: forceUnpublish(stream) → streamDestroyed "forceUnpublishByUser" on every page, the owner\'s Publisher too', async () => {
    const { mod, pub, sub, xavier } = s.p;
    const r = await mod.call('forceUnpublish', [pub.streamId]);
    assert.equal(r.ok, true, `forceUnpublish must resolve: ${JSON.stringify(r)}`);
    const own = await pub.waitForEvent({ type: 'publisherStreamDestroyed', streamId: pub.streamId });
    assert.equal(own.reason, 'forceUnpublishByUser', '[pub] its Publisher\'s streamDestroyed reason');
    for (const p of [mod, sub, xavier]) {
        const e = await p.waitForEvent({ type: 'streamDestroyed', streamId: pub.streamId });
        assert.equal(e.reason, 'forceUnpublishByUser', `[${p.name}] streamDestroyed reason`);
    }
    // The owner stays connected; REST shows it without publisher.
    await assertNoEvent(mod, { type: 'connectionDestroyed', connectionId: pub.connectionId }, { ms: 300 });
    const conn = await h.rest.getConnection(s.sessionId, pub.connectionId);
    assert.equal(conn.status, 'active');
    assert.deepEqual(conn.publishers, [], 'REST: the unpublished participant has no publisher left');
    for (const other of [mod, sub, xavier]) {
        const c = await h.rest.getConnection(s.sessionId, other.connectionId);
        assert.ok(
            !c.subscribers.some((x) => x.streamId === pub.streamId),
            `REST: ${other.name} no longer subscribes to the unpublished stream: ${JSON.stringify(c.subscribers)}`
        );
    }
});

step('a MODERATOR: forceDisconnect(connection) → evicted page "sessionDisconnected" forceDisconnectByUser, others streamDestroyed + connectionDestroyed forceDisconnectByUser', async () => {
    const { mod, pub, sub, xavier } = s.p;
    const r = await mod.call('forceDisconnect', [xavier.connectionId]);
    assert.equal(r.ok, true, `forceDisconnect must resolve: ${JSON.stringify(r)}`);
    await assertEvicted(xavier, [mod, pub, sub], 'forceDisconnectByUser');
});

step('REST DELETE /sessions/{id}/stream/{streamId} → streamDestroyed "forceUnpublishByServer" everywhere, the owner\'s Publisher too', async () => {
    const { mod, pub, sub } = s.p;
    await h.rest.deleteStream(s.sessionId, mod.streamId);
    const own = await mod.waitForEvent({ type: 'publisherStreamDestroyed', streamId: mod.streamId });
    assert.equal(own.reason, 'forceUnpublishByServer', '[mod] its Publisher\'s streamDestroyed reason');
    for (const p of [pub, sub]) {
        const e = await p.waitForEvent({ type: 'streamDestroyed', streamId: mod.streamId });
        assert.equal(e.reason, 'forceUnpublishByServer', `[${p.name}] streamDestroyed reason`);
    }
    const conn = await h.rest.getConnection(s.sessionId, mod.connectionId);
    assert.deepEqual(conn.publishers, []);
    // A second DELETE of the same stream: 404.
    const again = await h.rest.raw('DELETE', `/sessions/${s.sessionId}/stream/${mod.streamId}`);
    assert.equal(again.status, 404, 'deleting an already unpublished stream');
});

step('REST DELETE /sessions/{id}/connection/{cid} → evicted page "sessionDisconnected" forceDisconnectByServer, others streamDestroyed + connectionDestroyed forceDisconnectByServer', async () => {
    const { mod, pub, sub, xavier } = s.p;
    await rejoin(xavier);
    for (const p of [mod, pub, sub]) await waitForDecoding(p, [xavier.streamId]);
    await h.rest.deleteConnection(s.sessionId, xavier.connectionId);
    await assertEvicted(xavier, [mod, pub, sub], 'forceDisconnectByServer');
    assert.equal(await h.rest.getConnection(s.sessionId, xavier.connectionId), null, 'REST: the evicted connection is gone (404)');
});

step('REST PATCH role → MODERATOR on a live PUBLISHER: its forceUnpublish, refused before, now succeeds', async () => {
    const { mod, pub, sub, xavier } = s.p;
    await rejoin(xavier);
    await waitForDecoding(pub, [xavier.streamId]);
    assertPermissionDenied(await pub.call('forceUnpublish', [xavier.streamId]), 'PUBLISHER forceUnpublish before the PATCH');
    const patched = await h.rest.updateConnection(s.sessionId, pub.connectionId, { role: 'MODERATOR' });
    assert.equal(patched.role, 'MODERATOR', `PATCH answer: ${JSON.stringify(patched)}`);
    assert.equal((await h.rest.getConnection(s.sessionId, pub.connectionId)).role, 'MODERATOR', 'REST GET after PATCH');
    const r = await pub.call('forceUnpublish', [xavier.streamId]);
    assert.equal(r.ok, true, `forceUnpublish after the PATCH must resolve: ${JSON.stringify(r)}`);
    const own = await xavier.waitForEvent({ type: 'publisherStreamDestroyed', streamId: xavier.streamId });
    assert.equal(own.reason, 'forceUnpublishByUser');
    for (const p of [mod, pub, sub]) {
        const e = await p.waitForEvent({ type: 'streamDestroyed', streamId: xavier.streamId });
        assert.equal(e.reason, 'forceUnpublishByUser', `[${p.name}] streamDestroyed reason`);
    }
});

step('REST PATCH role → the browser gets connectionPropertyChanged {role: MODERATOR} and updates session.connection.role', async () => {
    // Runs after the previous step's PATCH (pub: PUBLISHER → MODERATOR).
    const { pub, mod } = s.p;
    const e = await pub.waitForEvent({ type: 'connectionPropertyChanged', changedProperty: 'role' }, { timeoutMs: 3_000 });
    assert.equal(e.newValue, 'MODERATOR');
    assert.equal(e.oldValue, 'PUBLISHER');
    assert.equal(e.connectionId, pub.connectionId);
    assert.equal((await pub.call('localConnection')).role, 'MODERATOR', 'session.connection.role');
    // Only the affected participant is told.
    assert.deepEqual(await mod.eventsMatching({ type: 'connectionPropertyChanged' }), []);
}, { independent: true });

step('REST DELETE /sessions/{id} → every page "sessionDisconnected" sessionClosedByServer; the session is gone', async () => {
    const { mod, pub, sub, xavier } = s.p;
    const before = {};
    for (const p of [mod, pub, sub, xavier]) before[p.name] = (await p.events()).length;
    await h.rest.deleteSession(s.sessionId);
    for (const p of [mod, pub, sub, xavier]) {
        const e = await p.waitForEvent({ type: 'sessionDisconnected' });
        assert.equal(e.reason, 'sessionClosedByServer', `[${p.name}] sessionDisconnected reason`);
        // Whatever a page heard about the others before its own eviction carries the same reason.
        const later = (await p.events()).slice(before[p.name]);
        for (const x of later.filter((x) => ['connectionDestroyed', 'streamDestroyed', 'publisherStreamDestroyed'].includes(x.type))) {
            assert.equal(x.reason, 'sessionClosedByServer', `[${p.name}] ${x.type} reason: ${JSON.stringify(x)}`);
        }
    }
    assert.equal(await h.rest.getSession(s.sessionId), null, 'REST: the session is gone (404)');
});
