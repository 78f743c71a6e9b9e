// Refused joins, as an application using openvidu-browser sees them.
//
// openvidu-browser's Session.connect() passes the JSON-RPC `error` of a failed
// `joinRoom` straight to the promise rejection (Session.connectAux): the app
// gets a plain object {code, message, data?} (plus `requestTime`, added by the
// SDK's JSON-RPC client), not an Error / OpenViduError. The official server
// answers 401 (USER_UNAUTHORIZED) for a used or unknown token and 202
// (ROOM_NOT_FOUND) for an unknown session (spec §1.4, §2.5, §3.2).

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';

const h = useHarness('tokens');

/** Asserts that `r` (a Participant.connect() result) is a joinRoom rejection with `code`. */
function assertRefused(r, code, what) {
    const dump = JSON.stringify(r);
    assert.equal(r.ok, false, `${what}: session.connect() must reject: ${dump}`);
    assert.notEqual(r.stage, 'websocket', `${what}: the WebSocket to /openvidu could not even be opened: ${dump}`);
    assert.ok(!r.timedOut, `${what}: session.connect() must reject, not hang: ${dump}`);
    assert.equal(r.error.isError, false, `${what}: the app gets the JSON-RPC error object itself: ${dump}`);
    assert.equal(r.error.code, code, `${what}: joinRoom error code: ${dump}`);
    assert.equal(typeof r.error.message, 'string', `${what}: error message: ${dump}`);
    assert.ok(r.error.message.length > 0, `${what}: error message: ${dump}`);
}

function fakeToken(sessionId, tokenId = 'tok_Nope') {
    return `ws://127.0.0.1:${h.server.port}?sessionId=${sessionId}&token=${tokenId}`;
}

test('a token already used by a connected participant is refused with 401', h.guard(async () => {
    const sessionId = await h.newSession('tokens-used');
    const conn = await h.rest.createConnection(sessionId, { role: 'PUBLISHER', data: 'first' });

    const first = await h.participant('first');
    const ok = await first.connect({ token: conn.token });
    assert.equal(ok.ok, true, `the first use of the token must succeed: ${JSON.stringify(ok)}`);
    assert.equal(ok.connectionId, conn.connectionId);

    const second = await h.participant('second (same token)');
    const r = await second.connect({ token: conn.token });
    assertRefused(r, 401, 'reused token');

    // The refused join changed nothing: the first participant is the only connection.
    const all = await h.rest.getSession(sessionId, { pendingConnections: true });
    assert.deepEqual(
        all.connections.content.map((c) => [c.connectionId, c.status]),
        [[conn.connectionId, 'active']]
    );
    const events = await first.events();
    assert.deepEqual(
        events.filter((e) => e.type === 'connectionCreated').map((e) => e.connectionId),
        [conn.connectionId],
        'the connected participant is not told about the refused one'
    );
}));

test('an unknown token for an existing session is refused with 401', h.guard(async () => {
    const sessionId = await h.newSession('tokens-unknown');
    const p = await h.participant('unknown token');
    const r = await p.connect({ token: fakeToken(sessionId) });
    assertRefused(r, 401, 'unknown token');
    const s = await h.rest.getSession(sessionId, { pendingConnections: true });
    assert.ok(s, 'the session still exists');
    assert.deepEqual(s.connections.content, []);
}));

test('a token for an unknown session is refused with 202 (session not found)', h.guard(async () => {
    const sessionId = h.uniqueId('tokens-nosession');
    const p = await h.participant('unknown session');
    const r = await p.connect({ token: fakeToken(sessionId) });
    assertRefused(r, 202, 'unknown session');
    // The rejection is the server's answer to joinRoom: whatever joinRoom did is done. It
    // created no session: REST does not know it, and creating it now is a creation (200),
    // not a conflict with a session of that id (409).
    assert.equal(await h.rest.getSession(sessionId), null, 'GET /sessions/{id} after the refused join');
    const listed = await h.rest.request('GET', '/sessions');
    assert.ok(!listed.content.some((x) => x.id === sessionId), `GET /sessions lists no ${sessionId}`);
    const created = await h.rest.raw('POST', '/sessions', { customSessionId: sessionId });
    assert.equal(created.status, 200, `POST /sessions {customSessionId: ${sessionId}} after the refused join: ${created.status} ${created.text}`);
}));
