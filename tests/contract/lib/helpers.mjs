// Shared helpers of the contract tests.

import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import openviduNodeClient from 'openvidu-node-client';

import { startServer } from './server.mjs';
import { readResponse } from '../../shared/http.mjs';

export const { OpenVidu } = openviduNodeClient;
export const ovClient = openviduNodeClient;

/** What OpenVidu 2.32 answers as `defaultRecordingProperties` of a session created with `{}`. */
export const OPENVIDU_DEFAULT_RECORDING_PROPERTIES = Object.freeze({
    name: '',
    hasAudio: true,
    hasVideo: true,
    outputMode: 'COMPOSED',
    recordingLayout: 'BEST_FIT',
    resolution: '1280x720',
    frameRate: 25,
    shmSize: 536870912
});

/**
 * Registers `before`/`after` hooks starting one server for the calling test
 * file, and returns a live handle: `ctx.server` and `ctx.ov` (an OpenVidu
 * client with the right secret) are set once `before` has run.
 */
export function useServer(options) {
    const ctx = { server: undefined, ov: undefined };
    before(async () => {
        ctx.server = await startServer(options);
        ctx.ov = newClient(ctx.server);
    });
    after(async () => {
        await ctx.server?.stop();
    });
    return ctx;
}

/** A new openvidu-node-client instance on the server (optionally with another secret). */
export function newClient(server, secret = server.secret) {
    const ov = new OpenVidu(server.url, secret);
    // The client's logger is a process-wide singleton printing to the console
    // (fetch results, ...) unless prod mode is on.
    ov.enableProdMode();
    return ov;
}

/**
 * Asserts that `promise` rejects the way openvidu-node-client reports an
 * unexpected HTTP status: `new Error(String(status))`.
 */
export async function rejectsWithStatus(promise, status) {
    await assert.rejects(promise, (err) => {
        assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
        assert.equal(err.message, String(status));
        return true;
    });
}

/** Node's fetch on the REST API; `auth: false` sends no Authorization header. */
export async function api(server, method, path, { body, auth = true, headers = {} } = {}) {
    const h = { ...headers };
    if (auth) h.Authorization = server.authHeader;
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(server.apiUrl + path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    return readResponse(res);
}

/**
 * The server's own view of a session: raw GET /sessions/{id} (`pendingConnections`
 * lists pending connections too); null on 404, any other status fails.
 */
export async function serverSession(server, sessionId, { pendingConnections = false } = {}) {
    const query = pendingConnections ? '?pendingConnections=true' : '';
    const r = await api(server, 'GET', `/sessions/${encodeURIComponent(sessionId)}${query}`);
    if (r.status === 404) return null;
    assert.equal(r.status, 200, `GET /sessions/${sessionId}: ${r.status} ${r.text}`);
    return r.json;
}

/** The ids of every session the server lists (raw GET /sessions), as listed (duplicates kept). */
export async function serverSessionIds(server) {
    const r = await api(server, 'GET', '/sessions');
    assert.equal(r.status, 200, `GET /sessions: ${r.status} ${r.text}`);
    assert.equal(r.json.numberOfElements, r.json.content.length, 'numberOfElements = content.length');
    return r.json.content.map((s) => s.id);
}

/** Escapes a string for use inside a RegExp. */
export function reEscape(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Asserts the shape of a CE 2.32 token: `ws://<host:port>?sessionId=<id>&token=tok_<16 chars>`. */
export function assertToken(token, server, sessionId) {
    assert.equal(typeof token, 'string');
    assert.match(
        token,
        new RegExp(`^ws://127\\.0\\.0\\.1:${server.port}\\?sessionId=${reEscape(sessionId)}&token=tok_[A-Za-z0-9]{16}$`),
        `unexpected token ${token}`
    );
}

/** Asserts a connection id: `con_` + alphanumerics, without another `con_` inside (stream ids are parsed with lastIndexOf("con_")). */
export function assertConnectionId(id) {
    assert.equal(typeof id, 'string');
    assert.match(id, /^con_[A-Za-z0-9]+$/, `unexpected connection id ${id}`);
    assert.equal(id.lastIndexOf('con_'), 0, `connection id ${id} contains "con_" after its prefix`);
}

/** Drops `undefined` members (the node client leaves some around) for deep comparisons. */
export function plain(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

let uniqueCounter = 0;
/** A session id unique within the run, valid as customSessionId. */
export function uniqueId(prefix) {
    uniqueCounter += 1;
    return `${prefix}-${process.pid}-${uniqueCounter}`;
}
