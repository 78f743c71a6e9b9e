// Webhooks (spec §9.1, §9.2): the server POSTs every session event, in order, to
// OPENVIDU_WEBHOOK_ENDPOINT with Content-Type application/json and the headers
// of OPENVIDU_WEBHOOK_HEADERS. A tiny receiver on 127.0.0.1 records them while
// a whole call happens:
//
//   create session (REST) → A joins + publishes (camera + mic) → B joins,
//   subscribes and publishes (camera only) → A signals everyone → B leaves →
//   A leaves (the session dies: lastParticipantLeft).
//
// The events of each phase are checked as a multiset where the order between
// them may vary (B's subscription vs. B's publication vs. A's subscription to
// B; the webrtc teardowns of a leave), and the phases in order, with nothing
// else in between.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { startWebhookReceiver } from './lib/webhook-receiver.mjs';
import { assertHolds } from './lib/wait.mjs';

const CUSTOM_HEADER = 'Basic dGVzdDp0ZXN0'; // test:test
/** How long a phase is watched for extra events once it is complete. */
const SETTLE_MS = 400;

const hook = { receiver: null };

const h = useHarness('webhooks', {
    serverOptions: async () => {
        hook.receiver = await startWebhookReceiver({ path: '/hook' });
        return {
            env: {
                OPENVIDU_WEBHOOK: 'true',
                OPENVIDU_WEBHOOK_ENDPOINT: hook.receiver.url,
                OPENVIDU_WEBHOOK_HEADERS: JSON.stringify([`Authorization: ${CUSTOM_HEADER}`])
            }
        };
    },
    teardown: async () => hook.receiver?.close()
});
const step = makeSteps(h);

const s = {
    sessionId: null,
    createdAt: null,
    cursor: 0,
    /** name → {p, conn (REST Connection), name, audio, streamId} */
    who: {},
    joinedAt: {}
};

const A = () => s.who.A;
const B = () => s.who.B;

/** Waits for the next `n` events, checks nothing more arrives, and returns them (in order). */
async function nextPhase(n, what) {
    const from = s.cursor;
    await hook.receiver.waitFor((evs) => evs.length >= from + n, { what: `${n} webhook events (${what})` });
    await assertHolds(() => hook.receiver.events().length === from + n, {
        forMs: SETTLE_MS,
        intervalMs: 20,
        what: `${what}: exactly ${n} events`,
        describe: () => `got ${hook.receiver.events().length - from}: ${JSON.stringify(hook.receiver.events().slice(from).map(short))}`
    });
    const phase = hook.receiver.events().slice(from, from + n);
    s.cursor = from + n;
    return phase;
}

function short(e) {
    if (!e) return e;
    return [e.event, e.connection, e.connectionId, e.receivingFrom, e.reason].filter((x) => x !== undefined && x !== null).join(' ');
}

/** Multiset equality of the phase's events by identity (event name + who + direction). */
function assertSameEvents(phase, expected, what) {
    const key = (e) => [e.event, e.connection ?? '', e.connectionId ?? '', e.receivingFrom ?? '', e.streamId ?? ''].join('|');
    assert.deepEqual(phase.map(key).sort(), expected.map(key).sort(), `${what}: ${JSON.stringify(phase.map(short))}`);
}

function assertCommon(e) {
    assert.equal(typeof e.event, 'string');
    assert.equal(typeof e.timestamp, 'number', `timestamp of ${short(e)}`);
    assert.ok(e.timestamp >= s.createdAt && e.timestamp <= Date.now(), `timestamp of ${short(e)} (${e.timestamp}) within the test`);
    assert.equal(e.sessionId, s.sessionId, `sessionId of ${short(e)}`);
    assert.equal(e.uniqueSessionId, `${s.sessionId}_${s.createdAt}`, `uniqueSessionId of ${short(e)}`);
}

function assertEnd(e, reason) {
    assert.equal(e.reason, reason, `reason of ${short(e)}`);
    assert.equal(typeof e.startTime, 'number', `startTime of ${short(e)}`);
    assert.ok(e.startTime <= e.timestamp, `startTime <= timestamp in ${short(e)}`);
    assert.ok(Number.isInteger(e.duration), `duration is integer seconds in ${short(e)}: ${e.duration}`);
    assert.ok(Math.abs(e.duration - (e.timestamp - e.startTime) / 1000) < 1, `duration = (timestamp - startTime) / 1000 in ${JSON.stringify(e)}`);
}

function assertParticipant(e, w) {
    assert.equal(e.participantId, w.conn.connectionId, `participantId of ${short(e)}`);
    assert.equal(e.connectionId, w.conn.connectionId);
    assert.equal(e.clientData, JSON.stringify({ clientData: w.name }), `clientData of ${short(e)}`);
    assert.equal(e.serverData, `server-${w.name}`, `serverData of ${short(e)}`);
    assert.equal(e.ip, '127.0.0.1', `ip of ${short(e)}`);
    assert.equal(typeof e.platform, 'string');
    assert.ok(e.platform.length > 0, `platform of ${short(e)}`);
    assert.equal(typeof e.location, 'string', `location of ${short(e)}`);
}

/** The expected identity of a webrtc event: OUTBOUND of `pub`, or INBOUND of `sub` receiving `pub`. */
function webrtc(event, pub, sub) {
    return sub
        ? { event, connection: 'INBOUND', connectionId: sub.conn.connectionId, receivingFrom: pub.conn.connectionId, streamId: pub.streamId }
        : { event, connection: 'OUTBOUND', connectionId: pub.conn.connectionId, streamId: pub.streamId };
}

function assertWebrtc(e) {
    const pub = [A(), B()].find((w) => w.streamId === e.streamId);
    assert.ok(pub, `streamId of ${short(e)}: ${e.streamId}`);
    assert.equal(e.participantId, e.connectionId, `participantId = connectionId in ${short(e)}`);
    if (e.connection === 'OUTBOUND') {
        assert.equal(e.connectionId, pub.conn.connectionId);
        assert.ok(e.receivingFrom === undefined || e.receivingFrom === null, `no receivingFrom in OUTBOUND: ${JSON.stringify(e)}`);
    } else {
        assert.equal(e.connection, 'INBOUND');
        assert.equal(e.receivingFrom, pub.conn.connectionId);
    }
    assert.equal(e.videoSource, 'CAMERA', `videoSource of ${short(e)}`);
    assert.equal(e.videoFramerate, 15, `videoFramerate of ${short(e)}`);
    assert.equal(e.videoDimensions, JSON.stringify({ width: 320, height: 240 }), `videoDimensions of ${short(e)}`);
    assert.equal(e.audioEnabled, pub.audio, `audioEnabled of ${short(e)}`);
    assert.equal(e.videoEnabled, true, `videoEnabled of ${short(e)}`);
}

async function joinAs(key, name, audio) {
    const p = await h.participant(name);
    const { conn, r } = await h.joinSession(p, s.sessionId, { data: `server-${name}`, audio });
    return (s.who[key] = { p, conn, name, audio, streamId: r.streamId });
}

step('POST /sessions → sessionCreated', async () => {
    s.sessionId = h.uniqueId('hooks');
    const session = await h.rest.createSession(s.sessionId);
    s.createdAt = session.createdAt;
    const [e] = await nextPhase(1, 'session creation');
    assert.equal(e.event, 'sessionCreated');
    assertCommon(e);
});

step('A joins and publishes → participantJoined(A), webrtcConnectionCreated(A OUTBOUND)', async () => {
    const a = await joinAs('A', 'alice', true);
    const [joined, out] = await nextPhase(2, 'A joins and publishes');
    assert.equal(joined.event, 'participantJoined');
    assertCommon(joined);
    assertParticipant(joined, a);
    assertSameEvents([out], [webrtc('webrtcConnectionCreated', a)], 'A publishes');
    assertCommon(out);
    assertWebrtc(out);
});

step('B joins, subscribes to A and publishes; A subscribes to B → participantJoined(B), then {INBOUND B←A, OUTBOUND B, INBOUND A←B}', async () => {
    const b = await joinAs('B', 'bob', false);
    await waitForDecoding(b.p, [A().streamId]);
    await waitForDecoding(A().p, [b.streamId]);
    const [joined, ...media] = await nextPhase(4, 'B joins');
    assert.equal(joined.event, 'participantJoined', `the first event of B's phase: ${short(joined)}`);
    assertCommon(joined);
    assertParticipant(joined, b);
    assertSameEvents(
        media,
        [webrtc('webrtcConnectionCreated', A(), b), webrtc('webrtcConnectionCreated', b), webrtc('webrtcConnectionCreated', b, A())],
        'B\'s media'
    );
    for (const e of media) {
        assertCommon(e);
        assertWebrtc(e);
    }
});

step('A signals everyone → signalSent {from: A, to: [A, B], type without "signal:", data}', async () => {
    const r = await A().p.call('signal', [{ data: 'hello webhooks', type: 'chat' }]);
    assert.equal(r.ok, true, JSON.stringify(r));
    const [e] = await nextPhase(1, 'signal');
    assert.equal(e.event, 'signalSent');
    assertCommon(e);
    assert.equal(e.from, A().conn.connectionId);
    assert.deepEqual([...e.to].sort(), [A().conn.connectionId, B().conn.connectionId].sort(), `to: ${JSON.stringify(e.to)}`);
    assert.equal(e.type, 'chat');
    assert.equal(e.data, 'hello webhooks');
});

step('B leaves → webrtcConnectionDestroyed {B OUTBOUND, B←A, A←B} "disconnect", then participantLeft(B) "disconnect"', async () => {
    const b = B();
    await b.p.leave();
    const phase = await nextPhase(4, 'B leaves');
    const left = phase[phase.length - 1];
    assertSameEvents(
        phase.slice(0, 3),
        [webrtc('webrtcConnectionDestroyed', b), webrtc('webrtcConnectionDestroyed', A(), b), webrtc('webrtcConnectionDestroyed', b, A())],
        'B\'s media teardown'
    );
    for (const e of phase.slice(0, 3)) {
        assertCommon(e);
        assertWebrtc(e);
        assertEnd(e, 'disconnect');
    }
    assert.equal(left.event, 'participantLeft', `the last event of B's leave: ${short(left)}`);
    assertCommon(left);
    assertParticipant(left, b);
    assertEnd(left, 'disconnect');
});

step('A leaves → webrtcConnectionDestroyed(A OUTBOUND), participantLeft(A), sessionDestroyed "lastParticipantLeft"', async () => {
    const a = A();
    await a.p.leave();
    const [out, left, destroyed] = await nextPhase(3, 'A leaves');
    assertSameEvents([out], [webrtc('webrtcConnectionDestroyed', a)], 'A\'s media teardown');
    assertCommon(out);
    assertWebrtc(out);
    assertEnd(out, 'disconnect');
    assert.equal(left.event, 'participantLeft');
    assertCommon(left);
    assertParticipant(left, a);
    assertEnd(left, 'disconnect');
    assert.equal(destroyed.event, 'sessionDestroyed');
    assertCommon(destroyed);
    assertEnd(destroyed, 'lastParticipantLeft');
    assert.equal(destroyed.startTime, s.createdAt, 'sessionDestroyed.startTime = the session\'s createdAt');
    assert.equal(await h.rest.getSession(s.sessionId), null, 'REST: the session is gone');
});

step('every webhook request: POST to the endpoint path, Content-Type application/json, the custom header, timestamps in order', async () => {
    const reqs = hook.receiver.requests;
    // 1 + 2 + 4 + 1 + 4 + 3 events in the six phases, nothing else.
    assert.equal(reqs.length, 15, `15 events in the whole call: ${JSON.stringify(reqs.map((r) => short(r.json)))}`);
    for (const r of reqs) {
        const what = short(r.json) || r.body.slice(0, 80);
        assert.equal(r.method, 'POST', what);
        assert.equal(r.url, '/hook', what);
        assert.match(r.headers['content-type'] ?? '', /^application\/json\b/, `Content-Type of ${what}`);
        assert.equal(r.headers.authorization, CUSTOM_HEADER, `custom header of ${what}`);
        assert.ok(r.json, `JSON body of ${what}: ${r.body.slice(0, 200)}`);
    }
    const ts = reqs.map((r) => r.json.timestamp);
    assert.deepEqual(ts, [...ts].sort((x, y) => x - y), 'events are sent in the order they happened (sequential queue)');
});
