// Raw HTTP (Node's fetch) for what openvidu-node-client does not expose:
// config endpoints, auth and CORS, status-code traps, JSON shapes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { api, uniqueId, useServer } from './lib/helpers.mjs';

const ctx = useServer();

const SESSION_KEYS = [
    'id', 'object', 'sessionId', 'createdAt', 'recording', 'broadcasting', 'mediaMode', 'recordingMode',
    'defaultRecordingProperties', 'customSessionId', 'forcedVideoCodec', 'allowTranscoding', 'connections'
];

const CONNECTION_KEYS = [
    'id', 'object', 'status', 'connectionId', 'sessionId', 'createdAt', 'activeAt', 'location', 'ip', 'platform',
    'token', 'type', 'record', 'role', 'kurentoOptions', 'customIceServers', 'rtspUri', 'adaptativeBitrate',
    'onlyPlayWithSubscribers', 'networkCache', 'serverData', 'clientData', 'publishers', 'subscribers'
];

/** Does a CORS preflight answer let a browser send `method` with `requestHeaders`? (Fetch standard, no credentials) */
function assertPreflightAllows(res, origin, method, requestHeaders) {
    const allowOrigin = res.headers.get('access-control-allow-origin');
    assert.ok(allowOrigin === '*' || allowOrigin === origin, `Access-Control-Allow-Origin: ${allowOrigin}`);

    const simpleMethods = ['GET', 'HEAD', 'POST'];
    const methods = (res.headers.get('access-control-allow-methods') ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
    assert.ok(
        simpleMethods.includes(method) || methods.includes('*') || methods.includes(method),
        `Access-Control-Allow-Methods: ${methods.join(', ')} does not allow ${method}`
    );

    const allowed = (res.headers.get('access-control-allow-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean);
    for (const header of requestHeaders) {
        const name = header.toLowerCase();
        // `*` does not cover Authorization (a "CORS non-wildcard request-header name"):
        // it has to be listed explicitly
        const ok = allowed.includes(name) || (allowed.includes('*') && name !== 'authorization');
        assert.ok(ok, `Access-Control-Allow-Headers: ${allowed.join(', ')} does not allow ${header}`);
    }
}

describe('config', () => {
    test('GET /config: VERSION 2.32.2 and the CE keys', async () => {
        const r = await api(ctx.server, 'GET', '/config');
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(r.json.VERSION, '2.32.2');
        for (const key of [
            'DOMAIN_OR_PUBLIC_IP', 'HTTPS_PORT', 'OPENVIDU_PUBLICURL', 'OPENVIDU_CDR',
            'OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH', 'OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH',
            'OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH', 'OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH',
            'OPENVIDU_STREAMS_FORCED_VIDEO_CODEC', 'OPENVIDU_STREAMS_ALLOW_TRANSCODING', 'OPENVIDU_WEBRTC_SIMULCAST',
            'OPENVIDU_SESSIONS_GARBAGE_INTERVAL', 'OPENVIDU_SESSIONS_GARBAGE_THRESHOLD', 'OPENVIDU_RECORDING',
            'OPENVIDU_WEBHOOK'
        ]) {
            assert.ok(key in r.json, `missing ${key}`);
        }
        assert.equal(r.json.DOMAIN_OR_PUBLIC_IP, '127.0.0.1');
        assert.equal(r.json.OPENVIDU_RECORDING, false);
        assert.equal(r.json.OPENVIDU_WEBHOOK, false);
        assert.equal(r.json.OPENVIDU_SESSIONS_GARBAGE_INTERVAL, 0);
        assert.equal(typeof r.json.HTTPS_PORT, 'number');
    });

    test('GET /config/openvidu-version', async () => {
        const r = await api(ctx.server, 'GET', '/config/openvidu-version');
        assert.equal(r.status, 200);
        assert.equal(r.text, '2.32.2');
    });

    test('GET and HEAD /config/openvidu-publicurl work without auth', async () => {
        const r = await api(ctx.server, 'GET', '/config/openvidu-publicurl', { auth: false });
        assert.equal(r.status, 200);
        // OpenVidu answers its "final URL": the public URL with a trailing slash
        assert.equal(r.text, `http://127.0.0.1:${ctx.server.port}/`);

        const head = await api(ctx.server, 'HEAD', '/config/openvidu-publicurl', { auth: false });
        assert.equal(head.status, 200);
    });

    test('the rest of the API needs Basic auth: 401 with WWW-Authenticate: Basic', async () => {
        for (const [method, path] of [
            ['GET', '/config'],
            ['GET', '/sessions'],
            ['POST', '/sessions'],
            ['GET', '/config/openvidu-version']
        ]) {
            const r = await api(ctx.server, method, path, { auth: false });
            assert.equal(r.status, 401, `${method} ${path}`);
            assert.match(r.headers.get('www-authenticate') ?? '', /^Basic\b/i, `${method} ${path}`);
        }
        const wrong = await api(ctx.server, 'GET', '/sessions', {
            auth: false,
            headers: { Authorization: 'Basic ' + Buffer.from('OPENVIDUAPP:wrong').toString('base64') }
        });
        assert.equal(wrong.status, 401);
        const wrongUser = await api(ctx.server, 'GET', '/sessions', {
            auth: false,
            headers: { Authorization: 'Basic ' + Buffer.from(`SOMEONE:${ctx.server.secret}`).toString('base64') }
        });
        assert.equal(wrongUser.status, 401);
    });
});

describe('CORS', () => {
    const origin = 'http://app.example.test';

    for (const [method, path] of [
        ['POST', '/sessions'],
        ['DELETE', '/sessions/some_session'],
        ['GET', '/config']
    ]) {
        test(`OPTIONS preflight for ${method} ${path} succeeds without auth`, async () => {
            const requestHeaders = ['authorization', 'content-type'];
            const r = await api(ctx.server, 'OPTIONS', path, {
                auth: false,
                headers: {
                    Origin: origin,
                    'Access-Control-Request-Method': method,
                    'Access-Control-Request-Headers': requestHeaders.join(',')
                }
            });
            assert.equal(r.status, 200);
            assertPreflightAllows(r, origin, method, requestHeaders);
        });
    }

    test('actual requests carry Access-Control-Allow-Origin', async () => {
        const r = await api(ctx.server, 'GET', '/sessions', { headers: { Origin: origin } });
        assert.equal(r.status, 200);
        const allowOrigin = r.headers.get('access-control-allow-origin');
        assert.ok(allowOrigin === '*' || allowOrigin === origin, `Access-Control-Allow-Origin: ${allowOrigin}`);
    });
});

describe('status codes and bodies', () => {
    test('unknown session: GET/DELETE connection and DELETE stream answer 400, GET/DELETE session 404', async () => {
        const unknown = 'ses_Unknown1234';
        assert.equal((await api(ctx.server, 'GET', `/sessions/${unknown}/connection/con_X`)).status, 400);
        assert.equal((await api(ctx.server, 'DELETE', `/sessions/${unknown}/connection/con_X`)).status, 400);
        assert.equal((await api(ctx.server, 'DELETE', `/sessions/${unknown}/stream/str_CAM_Abcd_con_X`)).status, 400);
        assert.equal((await api(ctx.server, 'GET', `/sessions/${unknown}`)).status, 404);
        assert.equal((await api(ctx.server, 'DELETE', `/sessions/${unknown}`)).status, 404);
        assert.equal((await api(ctx.server, 'GET', `/sessions/${unknown}/connection`)).status, 404);
        assert.equal((await api(ctx.server, 'POST', `/sessions/${unknown}/connection`, { body: {} })).status, 404);
    });

    test('known session, unknown connection: 404', async () => {
        const s = await api(ctx.server, 'POST', '/sessions', { body: {} });
        assert.equal(s.status, 200);
        assert.equal((await api(ctx.server, 'GET', `/sessions/${s.json.id}/connection/con_Unknown123`)).status, 404);
        assert.equal((await api(ctx.server, 'DELETE', `/sessions/${s.json.id}/connection/con_Unknown123`)).status, 404);
    });

    test('DELETE connection and DELETE session answer 204 with an empty body', async () => {
        const s = await api(ctx.server, 'POST', '/sessions', { body: {} });
        const c = await api(ctx.server, 'POST', `/sessions/${s.json.id}/connection`, { body: {} });
        assert.equal(c.status, 200);

        const del = await api(ctx.server, 'DELETE', `/sessions/${s.json.id}/connection/${c.json.connectionId}`);
        assert.equal(del.status, 204);
        assert.equal(del.text, '');

        const list = await api(ctx.server, 'GET', `/sessions/${s.json.id}/connection`);
        assert.equal(list.status, 200);
        assert.deepEqual(list.json, { numberOfElements: 0, content: [] });

        const delSession = await api(ctx.server, 'DELETE', `/sessions/${s.json.id}`);
        assert.equal(delSession.status, 204);
        assert.equal(delSession.text, '');
        assert.equal((await api(ctx.server, 'GET', `/sessions/${s.json.id}`)).status, 404);
    });

    test('400 answers carry the rich error body, path with the /openvidu/api prefix', async () => {
        const s = await api(ctx.server, 'POST', '/sessions', { body: {} });
        const id = s.json.id;
        const cases = [
            // invalid values
            ['POST', '/sessions', { customSessionId: 'has space' }],
            ['POST', '/sessions', { mediaMode: 'NOT_A_MODE' }],
            ['POST', `/sessions/${id}/connection`, { role: 'KING' }],
            ['POST', `/sessions/${id}/connection`, { customIceServers: [{ url: 'turn:127.0.0.1:3478' }] }],
            // type errors
            ['POST', '/sessions', { customSessionId: 123 }],
            ['POST', `/sessions/${id}/connection`, { data: 5 }]
        ];
        const problems = [];
        for (const [method, path, body] of cases) {
            const before = Date.now();
            const r = await api(ctx.server, method, path, { body });
            const what = `${method} ${path} ${JSON.stringify(body)}`;
            assert.equal(r.status, 400, what);
            assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
            assert.equal(typeof r.json.timestamp, 'number', what);
            assert.ok(r.json.timestamp >= before - 5_000, what);
            assert.equal(r.json.status, 400, what);
            assert.equal(r.json.error, 'Bad Request', what);
            assert.equal(typeof r.json.message, 'string', what);
            if (r.json.path !== `/openvidu/api${path}`) {
                problems.push(`${what}: path ${JSON.stringify(r.json.path)}, OpenVidu says "/openvidu/api${path}"`);
            }
        }
        assert.deepEqual(problems, []);
    });

    test('duplicate customSessionId: 409 with an empty body', async () => {
        const id = uniqueId('contract_raw409');
        assert.equal((await api(ctx.server, 'POST', '/sessions', { body: { customSessionId: id } })).status, 200);
        const again = await api(ctx.server, 'POST', '/sessions', { body: { customSessionId: id } });
        assert.equal(again.status, 409);
        assert.equal(again.text, '');
    });
});

describe('JSON shapes', () => {
    test('POST /sessions: every Session key, empty connections', async () => {
        const r = await api(ctx.server, 'POST', '/sessions', { body: {} });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        for (const key of SESSION_KEYS) assert.ok(key in r.json, `missing ${key}`);
        assert.equal(r.json.object, 'session');
        assert.equal(r.json.sessionId, r.json.id);
        assert.equal(r.json.customSessionId, '');
        assert.equal(r.json.recording, false);
        assert.equal(r.json.broadcasting, false);
        assert.deepEqual(r.json.connections, { numberOfElements: 0, content: [] });
    });

    test('pending Connection: every key, explicit nulls', async () => {
        const s = await api(ctx.server, 'POST', '/sessions', { body: {} });
        const c = await api(ctx.server, 'POST', `/sessions/${s.json.id}/connection`, { body: {} });
        assert.equal(c.status, 200);
        for (const key of CONNECTION_KEYS) assert.ok(key in c.json, `missing ${key}`);
        assert.equal(c.json.object, 'connection');
        assert.equal(c.json.id, c.json.connectionId);
        assert.equal(c.json.sessionId, s.json.id);
        assert.equal(c.json.status, 'pending');
        assert.equal(c.json.type, 'WEBRTC');
        for (const key of ['activeAt', 'location', 'ip', 'platform', 'clientData', 'publishers', 'subscribers',
            'kurentoOptions', 'rtspUri', 'adaptativeBitrate', 'onlyPlayWithSubscribers', 'networkCache']) {
            assert.equal(c.json[key], null, `${key} should be null`);
        }
        assert.deepEqual(c.json.customIceServers, []);
    });

    test('pendingConnections defaults: false on GET /sessions[/{id}], true on GET /sessions/{id}/connection', async () => {
        const s = await api(ctx.server, 'POST', '/sessions', { body: {} });
        const id = s.json.id;
        await api(ctx.server, 'POST', `/sessions/${id}/connection`, { body: {} });

        const one = await api(ctx.server, 'GET', `/sessions/${id}`);
        assert.equal(one.json.connections.numberOfElements, 0);
        const onePending = await api(ctx.server, 'GET', `/sessions/${id}?pendingConnections=true`);
        assert.equal(onePending.json.connections.numberOfElements, 1);
        assert.equal(onePending.json.connections.content.length, 1);

        const all = await api(ctx.server, 'GET', '/sessions');
        assert.equal(all.json.content.find((x) => x.id === id).connections.numberOfElements, 0);

        const cons = await api(ctx.server, 'GET', `/sessions/${id}/connection`);
        assert.equal(cons.json.numberOfElements, 1);
        const consActive = await api(ctx.server, 'GET', `/sessions/${id}/connection?pendingConnections=false`);
        assert.equal(consActive.json.numberOfElements, 0);
    });
});
