// Connections and tokens through openvidu-node-client 2.32.2: createConnection,
// generateToken (legacy POST /tokens), forceDisconnect, forceUnpublish,
// updateConnection.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
    api,
    assertConnectionId,
    assertToken,
    plain,
    rejectsWithStatus,
    useServer
} from './lib/helpers.mjs';

const ctx = useServer();

// Only loopback addresses: nothing contacts them, they are just data.
const ICE_SERVERS = [
    { url: 'stun:127.0.0.1:3478' },
    { url: 'turn:127.0.0.1:3478?transport=udp', username: 'contract-user', credential: 'contract-pass' }
];

const KURENTO_OPTIONS = {
    videoMaxRecvBandwidth: 1200,
    videoMinRecvBandwidth: 100,
    videoMaxSendBandwidth: 900,
    videoMinSendBandwidth: 200,
    allowedFilters: ['GStreamerFilter', 'FaceOverlayFilter']
};

function assertPendingConnection(connection, server, sessionId) {
    assertConnectionId(connection.connectionId);
    assertToken(connection.token, server, sessionId);
    assert.equal(connection.status, 'pending');
    assert.equal(typeof connection.createdAt, 'number');
    assert.equal(connection.activeAt, null);
    assert.equal(connection.location, null);
    assert.equal(connection.ip, null);
    assert.equal(connection.platform, null);
    assert.equal(connection.clientData, null);
    assert.deepEqual(connection.publishers, []);
    assert.deepEqual(connection.subscribers, []);
}

describe('session.createConnection', () => {
    for (const role of ['SUBSCRIBER', 'PUBLISHER', 'MODERATOR']) {
        test(`role ${role} with data, record:false, kurentoOptions and customIceServers`, async () => {
            const session = await ctx.ov.createSession();
            const data = JSON.stringify({ role, note: 'contract test' });
            const connection = await session.createConnection({
                role,
                data,
                record: false,
                kurentoOptions: KURENTO_OPTIONS,
                customIceServers: ICE_SERVERS
            });

            assertPendingConnection(connection, ctx.server, session.sessionId);
            assert.equal(connection.role, role);
            assert.equal(connection.serverData, data);
            assert.deepEqual(plain(connection.connectionProperties), {
                type: 'WEBRTC',
                data,
                record: false,
                role,
                kurentoOptions: KURENTO_OPTIONS,
                rtspUri: null,
                adaptativeBitrate: null,
                onlyPlayWithSubscribers: null,
                networkCache: null,
                customIceServers: ICE_SERVERS
            });

            // kept locally by the Session object
            assert.deepEqual(
                session.connections.map((c) => c.connectionId),
                [connection.connectionId]
            );
            assert.deepEqual(session.activeConnections, []);

            // and on the server, as a pending connection
            const r = await api(ctx.server, 'GET', `/sessions/${session.sessionId}/connection/${connection.connectionId}`);
            assert.equal(r.status, 200);
            assert.equal(r.json.status, 'pending');
            assert.equal(r.json.token, connection.token);
            assert.equal(r.json.role, role);
            assert.equal(r.json.record, false);
            assert.equal(r.json.serverData, data);
            assert.deepEqual(r.json.kurentoOptions, KURENTO_OPTIONS);
            assert.deepEqual(r.json.customIceServers, ICE_SERVERS);
        });
    }

    test('without arguments (all-null body): OpenVidu defaults', async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection();
        assertPendingConnection(connection, ctx.server, session.sessionId);
        assert.equal(connection.role, 'PUBLISHER');
        assert.equal(connection.serverData, '');
        assert.deepEqual(plain(connection.connectionProperties), {
            type: 'WEBRTC',
            data: '',
            record: true,
            role: 'PUBLISHER',
            kurentoOptions: null,
            rtspUri: null,
            adaptativeBitrate: null,
            onlyPlayWithSubscribers: null,
            networkCache: null,
            customIceServers: []
        });
    });

    test('with an empty object: OpenVidu defaults', async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection({});
        assertPendingConnection(connection, ctx.server, session.sessionId);
        assert.equal(connection.connectionProperties.role, 'PUBLISHER');
        assert.equal(connection.connectionProperties.record, true);
        assert.equal(connection.connectionProperties.data, '');
        assert.equal(connection.connectionProperties.type, 'WEBRTC');
    });

    test('every connection gets its own id and token', async () => {
        const session = await ctx.ov.createSession();
        const connections = await Promise.all([1, 2, 3, 4].map(() => session.createConnection()));
        assert.equal(new Set(connections.map((c) => c.connectionId)).size, 4);
        assert.equal(new Set(connections.map((c) => c.token)).size, 4);
        await session.fetch();
        assert.equal(session.connections.length, 4);
    });

    test("on an unknown session rejects with Error('404')", async () => {
        const session = await ctx.ov.createSession();
        await session.close();
        await rejectsWithStatus(session.createConnection({ role: 'PUBLISHER' }), 404);
    });

    test("invalid role / TURN without credentials / STUN with credentials reject with Error('400')", async () => {
        const session = await ctx.ov.createSession();
        await rejectsWithStatus(session.createConnection({ role: 'KING' }), 400);
        await rejectsWithStatus(session.createConnection({ customIceServers: [{ url: 'turn:127.0.0.1:3478' }] }), 400);
        await rejectsWithStatus(
            session.createConnection({ customIceServers: [{ url: 'stun:127.0.0.1:3478', username: 'u', credential: 'c' }] }),
            400
        );
        await rejectsWithStatus(session.createConnection({ customIceServers: [{ url: 'http://127.0.0.1:3478' }] }), 400);
        await session.fetch();
        assert.deepEqual(session.connections, [], 'no connection created by rejected calls');
    });
});

describe('session.generateToken (legacy POST /tokens)', () => {
    test('without options: token of the CE shape, a PUBLISHER pending connection', async () => {
        const session = await ctx.ov.createSession();
        const token = await session.generateToken();
        assertToken(token, ctx.server, session.sessionId);

        await session.fetch();
        assert.equal(session.connections.length, 1);
        const connection = session.connections[0];
        assertConnectionId(connection.connectionId);
        assert.equal(connection.token, token);
        assert.equal(connection.status, 'pending');
        assert.equal(connection.connectionProperties.role, 'PUBLISHER');
        assert.equal(connection.connectionProperties.data, '');
        assert.equal(connection.connectionProperties.record, true);
        assert.equal(connection.connectionProperties.type, 'WEBRTC');
        assert.equal(connection.connectionProperties.kurentoOptions, null);
        assert.deepEqual(connection.connectionProperties.customIceServers, []);
    });

    test('with options: role, data and kurentoOptions are applied', async () => {
        const session = await ctx.ov.createSession();
        const data = 'token-data';
        const token = await session.generateToken({ role: 'SUBSCRIBER', data, kurentoOptions: KURENTO_OPTIONS });
        assertToken(token, ctx.server, session.sessionId);

        await session.fetch();
        const connection = session.connections.find((c) => c.token === token);
        assert.ok(connection, 'the token is a pending connection of the session');
        assert.equal(connection.connectionProperties.role, 'SUBSCRIBER');
        assert.equal(connection.connectionProperties.data, data);
        assert.deepEqual(plain(connection.connectionProperties.kurentoOptions), KURENTO_OPTIONS);

        const moderator = await session.generateToken({ role: 'MODERATOR' });
        assertToken(moderator, ctx.server, session.sessionId);
        assert.notEqual(moderator, token);
    });
});

describe('session.forceDisconnect', () => {
    test('on a pending connection resolves and the connection disappears', async () => {
        const session = await ctx.ov.createSession();
        const keep = await session.createConnection({ data: 'keep' });
        const drop = await session.createConnection({ data: 'drop' });
        const dropByObject = await session.createConnection({ data: 'drop-by-object' });
        await session.fetch();
        assert.equal(session.connections.length, 3);

        await session.forceDisconnect(drop.connectionId);
        assert.ok(!session.connections.some((c) => c.connectionId === drop.connectionId), 'removed locally');

        // a Connection object is accepted too
        await session.forceDisconnect(session.connections.find((c) => c.connectionId === dropByObject.connectionId));

        assert.equal(await session.fetch(), false, 'the local removals match the server');
        assert.deepEqual(
            session.connections.map((c) => c.connectionId),
            [keep.connectionId]
        );

        const r = await api(ctx.server, 'GET', `/sessions/${session.sessionId}/connection/${drop.connectionId}`);
        assert.equal(r.status, 404);

        // removing it again: unknown connection
        await rejectsWithStatus(session.forceDisconnect(drop.connectionId), 404);
    });

    test("on an unknown connection id rejects with Error('404')", async () => {
        const session = await ctx.ov.createSession();
        await session.createConnection();
        await rejectsWithStatus(session.forceDisconnect('con_Unknown123'), 404);
        await session.fetch();
        assert.equal(session.connections.length, 1);
    });
});

describe('session.forceUnpublish', () => {
    test("on an unknown stream rejects with Error('404')", async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection();
        await rejectsWithStatus(session.forceUnpublish('str_CAM_Abcd_con_X'), 404);
        await rejectsWithStatus(session.forceUnpublish(`str_CAM_Abcd_${connection.connectionId}`), 404);
        await rejectsWithStatus(session.forceUnpublish({ streamId: 'str_MIC_Wxyz_con_Y' }), 404);
    });
});

describe('session.updateConnection', () => {
    test('updates role and record of a pending connection', async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection({ role: 'PUBLISHER', data: 'upd', record: true });

        // the connection is in the local collection: the client resolves with it,
        // with the requested properties applied
        const updated = await session.updateConnection(connection.connectionId, { role: 'SUBSCRIBER', record: false });
        assert.equal(updated.connectionId, connection.connectionId);
        assert.equal(updated.connectionProperties.role, 'SUBSCRIBER');
        assert.equal(updated.connectionProperties.record, false);

        // the server applied it
        const r = await api(ctx.server, 'GET', `/sessions/${session.sessionId}/connection/${connection.connectionId}`);
        assert.equal(r.status, 200);
        assert.equal(r.json.role, 'SUBSCRIBER');
        assert.equal(r.json.record, false);
        assert.equal(r.json.serverData, 'upd', 'other properties unchanged');
        assert.equal(r.json.token, connection.token, 'token unchanged');
        assert.equal(r.json.status, 'pending');

        await session.fetch();
        const fetched = session.connections.find((c) => c.connectionId === connection.connectionId);
        assert.equal(fetched.connectionProperties.role, 'SUBSCRIBER');
        assert.equal(fetched.connectionProperties.record, false);
    });

    test('resolves with the Connection returned by the server when not known locally', async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection({ role: 'SUBSCRIBER', record: false, data: 'remote' });
        session.connections = [];

        const updated = await session.updateConnection(connection.connectionId, { role: 'MODERATOR', record: true });
        assert.notEqual(updated, connection);
        assert.equal(updated.connectionId, connection.connectionId);
        assert.equal(updated.status, 'pending');
        assert.equal(updated.token, connection.token);
        assert.equal(updated.connectionProperties.role, 'MODERATOR');
        assert.equal(updated.connectionProperties.record, true);
        assert.equal(updated.connectionProperties.data, 'remote');
    });

    test("unknown connection rejects with Error('404'), invalid role with Error('400')", async () => {
        const session = await ctx.ov.createSession();
        const connection = await session.createConnection();
        await rejectsWithStatus(session.updateConnection('con_Unknown123', { role: 'SUBSCRIBER' }), 404);
        await rejectsWithStatus(session.updateConnection(connection.connectionId, { role: 'KING' }), 400);
    });
});
