// Sessions through openvidu-node-client 2.32.2: createSession (generated and
// custom ids, the 409 flow, invalid ids), fetch / fetchWebRtc, close, auth.
//
// What the client reports is checked against what the server itself says (raw
// GET /sessions[/{id}]), not against the client's own bookkeeping (its
// activeSessions array is filled by the client whatever the server answered).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
    OPENVIDU_DEFAULT_RECORDING_PROPERTIES,
    OpenVidu,
    api,
    newClient,
    plain,
    rejectsWithStatus,
    serverSession,
    serverSessionIds,
    uniqueId,
    useServer
} from './lib/helpers.mjs';

const ctx = useServer();

describe('createSession', () => {
    test('without properties: generated ses_ id, createdAt, OpenVidu defaults', async () => {
        const before = Date.now();
        const session = await ctx.ov.createSession();
        const after = Date.now();

        assert.match(session.sessionId, /^ses_[A-Za-z0-9]+$/);
        assert.equal(typeof session.createdAt, 'number');
        assert.ok(Number.isInteger(session.createdAt), 'createdAt is integer epoch milliseconds');
        assert.ok(session.createdAt >= before - 5_000 && session.createdAt <= after + 5_000, `createdAt ${session.createdAt} is not now`);

        assert.equal(session.properties.mediaMode, 'ROUTED');
        assert.equal(session.properties.recordingMode, 'MANUAL');
        assert.equal(session.properties.customSessionId, '');
        assert.equal(session.properties.forcedVideoCodec, 'MEDIA_SERVER_PREFERRED');
        assert.equal(session.properties.allowTranscoding, false);
        assert.deepEqual(plain(session.properties.defaultRecordingProperties), OPENVIDU_DEFAULT_RECORDING_PROPERTIES);
        assert.equal(session.recording, false);
        assert.equal(session.broadcasting, false);
        assert.deepEqual(session.connections, []);

        // The server holds that session, as the client described it.
        const onServer = await serverSession(ctx.server, session.sessionId, { pendingConnections: true });
        assert.ok(onServer, `GET /sessions/${session.sessionId} finds the created session`);
        assert.deepEqual(
            [onServer.id, onServer.sessionId, onServer.object, onServer.createdAt],
            [session.sessionId, session.sessionId, 'session', session.createdAt]
        );
        assert.deepEqual(
            [onServer.mediaMode, onServer.recordingMode, onServer.customSessionId, onServer.forcedVideoCodec, onServer.allowTranscoding],
            ['ROUTED', 'MANUAL', '', 'MEDIA_SERVER_PREFERRED', false]
        );
        assert.deepEqual(onServer.defaultRecordingProperties, OPENVIDU_DEFAULT_RECORDING_PROPERTIES);
        assert.deepEqual([onServer.recording, onServer.broadcasting], [false, false]);
        assert.deepEqual(onServer.connections, { numberOfElements: 0, content: [] });

        // two calls give two different sessions, both on the server
        const other = await ctx.ov.createSession({});
        assert.notEqual(other.sessionId, session.sessionId);
        const ids = await serverSessionIds(ctx.server);
        assert.equal(ids.filter((id) => id === session.sessionId).length, 1, `listed once: ${JSON.stringify(ids)}`);
        assert.equal(ids.filter((id) => id === other.sessionId).length, 1, `listed once: ${JSON.stringify(ids)}`);
    });

    test('explicit properties are echoed', async () => {
        const session = await ctx.ov.createSession({
            mediaMode: 'ROUTED',
            recordingMode: 'MANUAL',
            forcedVideoCodec: 'VP8',
            allowTranscoding: true,
            defaultRecordingProperties: { name: 'rec', outputMode: 'INDIVIDUAL', hasAudio: true, hasVideo: true }
        });
        assert.match(session.sessionId, /^ses_/);
        assert.equal(session.properties.forcedVideoCodec, 'VP8');
        assert.equal(session.properties.allowTranscoding, true);
        assert.deepEqual(plain(session.properties.defaultRecordingProperties), {
            name: 'rec',
            hasAudio: true,
            hasVideo: true,
            outputMode: 'INDIVIDUAL',
            ignoreFailedStreams: false
        });
        // The server stored them (not only echoed them to this client).
        const onServer = await serverSession(ctx.server, session.sessionId);
        assert.ok(onServer, `GET /sessions/${session.sessionId}`);
        assert.deepEqual(
            [onServer.mediaMode, onServer.recordingMode, onServer.forcedVideoCodec, onServer.allowTranscoding],
            ['ROUTED', 'MANUAL', 'VP8', true]
        );
        assert.deepEqual(plain(onServer.defaultRecordingProperties), plain(session.properties.defaultRecordingProperties));
    });

    test('with customSessionId: that id, and the same id again resolves (409 then GET) with the existing session', async () => {
        const id = uniqueId('contract_custom');
        const first = await ctx.ov.createSession({ customSessionId: id });
        assert.equal(first.sessionId, id);
        assert.equal(first.properties.customSessionId, id);

        // second creation: POST /sessions answers 409, the client then does
        // GET /sessions/{id}?pendingConnections=true and resolves
        const second = await ctx.ov.createSession({ customSessionId: id });
        assert.equal(second.sessionId, id);
        assert.notEqual(second, first);
        assert.equal(second.createdAt, first.createdAt, 'the second object describes the existing session');
        assert.equal(second.properties.customSessionId, id);
        assert.deepEqual(second.connections, []);

        // What the client relies on: the second POST is a 409, and the server still
        // has the one session, created at the first call.
        const again = await api(ctx.server, 'POST', '/sessions', { body: { customSessionId: id } });
        assert.equal(again.status, 409, `POST /sessions with an existing customSessionId: ${again.status} ${again.text}`);
        const ids = await serverSessionIds(ctx.server);
        assert.equal(ids.filter((x) => x === id).length, 1, `exactly one session with the custom id: ${JSON.stringify(ids)}`);
        assert.equal((await serverSession(ctx.server, id)).createdAt, first.createdAt, 'the server kept the first session');

        // A fresh client sees it once (openvidu.fetch() of the server's list).
        const observer = newClient(ctx.server);
        await observer.fetch();
        const matching = observer.activeSessions.filter((s) => s.sessionId === id);
        assert.equal(matching.length, 1, 'exactly one session with the custom id');
        assert.equal(matching[0].createdAt, first.createdAt);
    });

    for (const bad of ['has space', 'dot.id', 'semi;colon', 'slash/id', 'ñandú']) {
        test(`invalid customSessionId ${JSON.stringify(bad)} rejects with Error('400')`, async () => {
            await rejectsWithStatus(ctx.ov.createSession({ customSessionId: bad }), 400);
            assert.ok(!(await serverSessionIds(ctx.server)).includes(bad), 'the server created no session with that id');
        });
    }

    test('customSessionId with the allowed characters [a-zA-Z0-9_-]', async () => {
        const id = `Az09_-${process.pid}`;
        const session = await ctx.ov.createSession({ customSessionId: id });
        assert.equal(session.sessionId, id);
        const onServer = await serverSession(ctx.server, id);
        assert.equal(onServer?.customSessionId, id, `GET /sessions/${id}: ${JSON.stringify(onServer)}`);
    });
});

describe('fetch', () => {
    test('session.fetch(): changed flags and pending connections', async () => {
        const session = await ctx.ov.createSession();
        // The first fetch may report a change: the client compares its JSON
        // with its own key order, which differs between createSession and fetch.
        await session.fetch();
        assert.equal(await session.fetch(), false, 'nothing changed since the previous fetch');

        // a connection created behind the client's back (raw REST) is a change
        const raw = await api(ctx.server, 'POST', `/sessions/${session.sessionId}/connection`, { body: { data: 'raw' } });
        assert.equal(raw.status, 200);
        assert.equal(await session.fetch(), true);
        assert.equal(session.connections.length, 1);
        assert.equal(session.connections[0].connectionId, raw.json.connectionId);
        assert.equal(session.connections[0].status, 'pending');
        assert.equal(session.connections[0].connectionProperties.data, 'raw');
        assert.deepEqual(session.activeConnections, []);
        assert.equal(await session.fetch(), false);
        const onServer = await serverSession(ctx.server, session.sessionId, { pendingConnections: true });
        assert.deepEqual(
            onServer.connections.content.map((c) => [c.connectionId, c.status, c.serverData]),
            [[raw.json.connectionId, 'pending', 'raw']],
            'the server lists the one pending connection the client fetched'
        );

        // a connection created through the same object is already known locally:
        // POST and GET describe it identically, so fetch reports no change
        const con = await session.createConnection({ data: 'local', role: 'SUBSCRIBER' });
        assert.equal(session.connections.length, 2);
        assert.equal(await session.fetch(), false, 'the fetched connection equals the one returned by POST');
        assert.deepEqual(
            session.connections.map((c) => c.connectionId).sort(),
            [raw.json.connectionId, con.connectionId].sort()
        );
        const both = await serverSession(ctx.server, session.sessionId, { pendingConnections: true });
        assert.deepEqual(
            both.connections.content.map((c) => [c.connectionId, c.role, c.serverData]).sort(),
            [
                [raw.json.connectionId, 'PUBLISHER', 'raw'],
                [con.connectionId, 'SUBSCRIBER', 'local']
            ].sort()
        );
    });

    test('openvidu.fetch(): activeSessions and changed flags', async () => {
        const ov = newClient(ctx.server);
        const s1 = await ov.createSession();
        const s2 = await ov.createSession({ customSessionId: uniqueId('contract_fetch') });
        await s2.createConnection({ data: 'pending-one' });

        await ov.fetch();
        assert.equal(await ov.fetch(), false, 'nothing changed since the previous fetch');

        // After fetch() the client holds exactly the server's list.
        const ids = ov.activeSessions.map((s) => s.sessionId);
        assert.deepEqual([...ids].sort(), (await serverSessionIds(ctx.server)).sort(), 'activeSessions = GET /sessions');
        assert.ok(ids.includes(s1.sessionId));
        assert.ok(ids.includes(s2.sessionId));
        assert.equal(new Set(ids).size, ids.length, 'no duplicated session');

        const fetched2 = ov.activeSessions.find((s) => s.sessionId === s2.sessionId);
        assert.equal(fetched2.connections.length, 1, 'pending connections are listed (pendingConnections=true)');
        assert.equal(fetched2.connections[0].status, 'pending');
        assert.equal(fetched2.connections[0].connectionProperties.data, 'pending-one');
        assert.equal(fetched2.properties.mediaMode, 'ROUTED');
        assert.equal(fetched2.properties.recordingMode, 'MANUAL');
        assert.deepEqual(plain(fetched2.properties.defaultRecordingProperties), OPENVIDU_DEFAULT_RECORDING_PROPERTIES);

        // a session created by someone else appears
        const other = await ctx.ov.createSession();
        assert.equal(await ov.fetch(), true);
        assert.ok(ov.activeSessions.some((s) => s.sessionId === other.sessionId));

        // a connection added elsewhere is a change
        const r = await api(ctx.server, 'POST', `/sessions/${s1.sessionId}/connection`, { body: {} });
        assert.equal(r.status, 200);
        assert.equal(await ov.fetch(), true);
        assert.equal(ov.activeSessions.find((s) => s.sessionId === s1.sessionId).connections.length, 1);
        assert.equal(await ov.fetch(), false);
    });

    test('openvidu.fetchWebRtc(): one change flag per session the server lists; pending connections are not fetched', async () => {
        const ov = newClient(ctx.server);
        const s = await ov.createSession();
        const pending = await s.createConnection();
        assert.deepEqual(s.connections.map((c) => c.connectionId), [pending.connectionId]);
        const result = await ov.fetchWebRtc();
        const listed = await api(ctx.server, 'GET', '/sessions?webRtcStats=true');
        assert.equal(listed.status, 200);
        const listedIds = listed.json.content.map((x) => x.id).sort();
        assert.deepEqual(Object.keys(result.sessionChanges).sort(), listedIds, 'sessionChanges has one entry per listed session');
        // GET /sessions?webRtcStats=true does not ask for pending connections: the server
        // lists none for s, so the client's session lost its pending one (a change)...
        const listedS = listed.json.content.find((x) => x.id === s.sessionId);
        assert.deepEqual(listedS.connections, { numberOfElements: 0, content: [] }, 'GET /sessions?webRtcStats=true: no pending connection');
        assert.equal(result.sessionChanges[s.sessionId], true, `s changed: ${JSON.stringify(result)}`);
        assert.equal(result.changes, true);
        assert.deepEqual(ov.activeSessions.find((x) => x.sessionId === s.sessionId).connections, []);
        assert.deepEqual(ov.activeSessions.map((x) => x.sessionId).sort(), listedIds, 'activeSessions = the listed sessions');
        // ...although the server still has it (pendingConnections=true).
        const withPending = await serverSession(ctx.server, s.sessionId, { pendingConnections: true });
        assert.deepEqual(withPending.connections.content.map((c) => c.connectionId), [pending.connectionId]);
        // Nothing changed on the server since: a second fetchWebRtc reports no change.
        const second = await ov.fetchWebRtc();
        assert.equal(second.changes, false, `second fetchWebRtc: ${JSON.stringify(second)}`);
        assert.equal(second.sessionChanges[s.sessionId], false);
    });
});

describe('close', () => {
    test('session.close(): gone from fetch, later calls on it reject with 404', async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection();
        await session.close();
        assert.equal(await serverSession(ctx.server, session.sessionId), null, 'GET /sessions/{id} after close(): 404');
        assert.ok(!(await serverSessionIds(ctx.server)).includes(session.sessionId), 'GET /sessions no longer lists it');

        await ctx.ov.fetch();
        assert.ok(!ctx.ov.activeSessions.some((s) => s.sessionId === session.sessionId), 'gone after openvidu.fetch()');

        await rejectsWithStatus(session.createConnection(), 404);
        await rejectsWithStatus(session.generateToken(), 404);
        await rejectsWithStatus(session.fetch(), 404);
        await rejectsWithStatus(session.close(), 404);

        // its pending connection is gone with it (unknown session => 400)
        const r = await api(ctx.server, 'GET', `/sessions/${session.sessionId}/connection/${connection.connectionId}`);
        assert.equal(r.status, 400);
    });

    test('a custom id can be reused once its session was closed', async () => {
        const id = uniqueId('contract_reuse');
        const first = await ctx.ov.createSession({ customSessionId: id });
        await first.createConnection({ data: 'of the first session' });
        await first.close();
        assert.equal(await serverSession(ctx.server, id), null, 'the first session is gone');
        const second = await ctx.ov.createSession({ customSessionId: id });
        assert.equal(second.sessionId, id);
        assert.ok(second.createdAt >= first.createdAt);
        // A new session on the server (its own creation time), without the first one's connection.
        const onServer = await serverSession(ctx.server, id, { pendingConnections: true });
        assert.equal(onServer.createdAt, second.createdAt, 'the server holds the second session');
        assert.deepEqual(onServer.connections, { numberOfElements: 0, content: [] });
        await second.fetch();
        assert.deepEqual(second.connections, []);
    });
});

describe('authentication', () => {
    test("wrong secret: createSession rejects with Error('401') and creates nothing", async () => {
        const ov = newClient(ctx.server, 'NOT_THE_SECRET');
        const before = (await serverSessionIds(ctx.server)).sort();
        const id = uniqueId('contract_nope');
        await rejectsWithStatus(ov.createSession(), 401);
        await rejectsWithStatus(ov.createSession({ customSessionId: id }), 401);
        await rejectsWithStatus(ov.fetch(), 401);
        await rejectsWithStatus(ov.fetchWebRtc(), 401);
        assert.deepEqual((await serverSessionIds(ctx.server)).sort(), before, 'the server has the same sessions as before');
        assert.equal(await serverSession(ctx.server, id), null);
    });

    test('a URL with a path still targets /openvidu/api on that host', async () => {
        // the client keeps only protocol + host of the URL it is given
        const ov = new OpenVidu(`${ctx.server.url}/some/path/`, ctx.server.secret);
        ov.enableProdMode();
        const session = await ov.createSession();
        assert.match(session.sessionId, /^ses_/);
        assert.equal((await serverSession(ctx.server, session.sessionId))?.createdAt, session.createdAt, 'created on the server');
    });
});
