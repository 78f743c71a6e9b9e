// Sessions through openvidu-node-client 2.32.2: createSession (generated and
// custom ids, the 409 flow, invalid ids), fetch / fetchWebRtc, close, auth.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
    OPENVIDU_DEFAULT_RECORDING_PROPERTIES,
    OpenVidu,
    api,
    newClient,
    plain,
    rejectsWithStatus,
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
        assert.ok(ctx.ov.activeSessions.includes(session));

        // two calls give two different sessions
        const other = await ctx.ov.createSession({});
        assert.notEqual(other.sessionId, session.sessionId);
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

        // the server has one session with that id (a fresh client sees it once)
        const observer = newClient(ctx.server);
        await observer.fetch();
        const matching = observer.activeSessions.filter((s) => s.sessionId === id);
        assert.equal(matching.length, 1, 'exactly one session with the custom id');
        assert.equal(matching[0].createdAt, first.createdAt);

        // The client that called createSession twice holds two Session objects
        // for that id (createSession pushes one per call and fetch() does not
        // de-duplicate): a client quirk, but both describe the one server session.
        await ctx.ov.fetch();
        const local = ctx.ov.activeSessions.filter((s) => s.sessionId === id);
        assert.ok(local.length >= 1);
        for (const s of local) assert.equal(s.createdAt, first.createdAt);
        const raw = await api(ctx.server, 'GET', '/sessions');
        assert.equal(raw.status, 200);
        assert.equal(raw.json.content.filter((s) => s.id === id).length, 1);
        assert.equal(raw.json.numberOfElements, raw.json.content.length);
    });

    for (const bad of ['has space', 'dot.id', 'semi;colon', 'slash/id', 'ñandú']) {
        test(`invalid customSessionId ${JSON.stringify(bad)} rejects with Error('400')`, async () => {
            await rejectsWithStatus(ctx.ov.createSession({ customSessionId: bad }), 400);
        });
    }

    test('customSessionId with the allowed characters [a-zA-Z0-9_-]', async () => {
        const id = `Az09_-${process.pid}`;
        const session = await ctx.ov.createSession({ customSessionId: id });
        assert.equal(session.sessionId, id);
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

        // a connection created through the same object is already known locally:
        // POST and GET describe it identically, so fetch reports no change
        const con = await session.createConnection({ data: 'local', role: 'SUBSCRIBER' });
        assert.equal(session.connections.length, 2);
        assert.equal(await session.fetch(), false, 'the fetched connection equals the one returned by POST');
        assert.deepEqual(
            session.connections.map((c) => c.connectionId).sort(),
            [raw.json.connectionId, con.connectionId].sort()
        );
    });

    test('openvidu.fetch(): activeSessions and changed flags', async () => {
        const ov = newClient(ctx.server);
        const s1 = await ov.createSession();
        const s2 = await ov.createSession({ customSessionId: uniqueId('contract_fetch') });
        await s2.createConnection({ data: 'pending-one' });

        await ov.fetch();
        assert.equal(await ov.fetch(), false, 'nothing changed since the previous fetch');

        const ids = ov.activeSessions.map((s) => s.sessionId);
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

    test('openvidu.fetchWebRtc() works', async () => {
        const ov = newClient(ctx.server);
        const s = await ov.createSession();
        await s.createConnection();
        const result = await ov.fetchWebRtc();
        assert.equal(typeof result.changes, 'boolean');
        assert.equal(typeof result.sessionChanges, 'object');
        assert.ok(s.sessionId in result.sessionChanges);
        assert.ok(ov.activeSessions.some((x) => x.sessionId === s.sessionId));
        // GET /sessions?webRtcStats=true does not ask for pending connections
        assert.deepEqual(ov.activeSessions.find((x) => x.sessionId === s.sessionId).connections, []);
    });
});

describe('close', () => {
    test('session.close(): gone from fetch, later calls on it reject with 404', async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection();
        await session.close();
        assert.ok(!ctx.ov.activeSessions.includes(session), 'removed from activeSessions by close()');

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
        await first.close();
        const second = await ctx.ov.createSession({ customSessionId: id });
        assert.equal(second.sessionId, id);
        assert.ok(second.createdAt >= first.createdAt);
        await second.fetch();
        assert.deepEqual(second.connections, []);
    });
});

describe('authentication', () => {
    test("wrong secret: createSession rejects with Error('401')", async () => {
        const ov = newClient(ctx.server, 'NOT_THE_SECRET');
        await rejectsWithStatus(ov.createSession(), 401);
        await rejectsWithStatus(ov.createSession({ customSessionId: uniqueId('contract_nope') }), 401);
        await rejectsWithStatus(ov.fetch(), 401);
        await rejectsWithStatus(ov.fetchWebRtc(), 401);
    });

    test('a URL with a path still targets /openvidu/api on that host', async () => {
        // the client keeps only protocol + host of the URL it is given
        const ov = new OpenVidu(`${ctx.server.url}/some/path/`, ctx.server.secret);
        ov.enableProdMode();
        const session = await ov.createSession();
        assert.match(session.sessionId, /^ses_/);
    });
});
