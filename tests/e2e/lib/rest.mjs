// Minimal client of the OpenVidu REST API (what an application server does:
// tokens, moderation, signals). Every request goes to 127.0.0.1 and has a timeout.

import { readResponse } from '../../shared/http.mjs';
import { waitFor } from '../../shared/wait.mjs';

const REQUEST_TIMEOUT_MS = 10_000;

export class Rest {
    /** @param {{apiUrl: string, authHeader: string}} server */
    constructor(server) {
        this.server = server;
    }

    async request(method, path, body, { expect = [200] } = {}) {
        const res = await fetch(this.server.apiUrl + path, {
            method,
            headers: {
                Authorization: this.server.authHeader,
                ...(body !== undefined ? { 'Content-Type': 'application/json' } : {})
            },
            body: body !== undefined ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
        });
        const text = await res.text();
        if (!expect.includes(res.status)) {
            throw new Error(`${method} ${path} answered ${res.status} (expected ${expect.join('/')}): ${text}`);
        }
        if (res.status === 404) return null;
        return text ? JSON.parse(text) : undefined;
    }

    /** POST /sessions {customSessionId} → Session JSON */
    createSession(customSessionId) {
        return this.request('POST', '/sessions', customSessionId ? { customSessionId } : {});
    }

    /** POST /sessions/{id}/connection {role, data, ...other properties (kurentoOptions, ...)} → Connection JSON (with `token`) */
    createConnection(sessionId, { role = 'PUBLISHER', data = '', ...more } = {}) {
        return this.request('POST', `/sessions/${encodeURIComponent(sessionId)}/connection`, { role, data, ...more });
    }

    /** GET /sessions/{id} → Session JSON, or null when 404. */
    async getSession(sessionId, { pendingConnections = false } = {}) {
        const q = pendingConnections ? '?pendingConnections=true' : '';
        return this.request('GET', `/sessions/${encodeURIComponent(sessionId)}${q}`, undefined, {
            expect: [200, 404]
        });
    }

    /** POST /recordings/start {session, ...properties} → Recording JSON. */
    startRecording(session, properties = {}) {
        return this.request('POST', '/recordings/start', { session, ...properties });
    }

    /** POST /recordings/stop/{id} → the final Recording JSON. */
    stopRecording(id) {
        return this.request('POST', `/recordings/stop/${encodeURIComponent(id)}`);
    }

    /** Any request; resolves {status, headers, text, json} whatever the status. */
    async raw(method, path, body) {
        const res = await fetch(this.server.apiUrl + path, {
            method,
            headers: {
                Authorization: this.server.authHeader,
                ...(body !== undefined ? { 'Content-Type': 'application/json' } : {})
            },
            body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
        });
        return readResponse(res);
    }

    /** GET /sessions/{id}/connection/{cid} → Connection JSON, or null when 404. */
    getConnection(sessionId, connectionId) {
        return this.request('GET', `/sessions/${encodeURIComponent(sessionId)}/connection/${encodeURIComponent(connectionId)}`, undefined, {
            expect: [200, 404]
        });
    }

    /** PATCH /sessions/{id}/connection/{cid} {role?, record?} → Connection JSON. */
    updateConnection(sessionId, connectionId, props) {
        return this.request('PATCH', `/sessions/${encodeURIComponent(sessionId)}/connection/${encodeURIComponent(connectionId)}`, props);
    }

    /** DELETE /sessions/{id}/connection/{cid} → 204 (REST forceDisconnect). */
    deleteConnection(sessionId, connectionId) {
        return this.request('DELETE', `/sessions/${encodeURIComponent(sessionId)}/connection/${encodeURIComponent(connectionId)}`, undefined, {
            expect: [204]
        });
    }

    /** DELETE /sessions/{id}/stream/{streamId} → 204 (REST forceUnpublish). */
    deleteStream(sessionId, streamId) {
        return this.request('DELETE', `/sessions/${encodeURIComponent(sessionId)}/stream/${encodeURIComponent(streamId)}`, undefined, {
            expect: [204]
        });
    }

    /** DELETE /sessions/{id} → 204 (everyone evicted with sessionClosedByServer). */
    deleteSession(sessionId) {
        return this.request('DELETE', `/sessions/${encodeURIComponent(sessionId)}`, undefined, { expect: [204] });
    }

    /** POST /signal {session, to?, type?, data?} → 200 with an empty body. */
    signal(body) {
        return this.request('POST', '/signal', body, { expect: [200] });
    }

    /** Ids of the connections REST lists for a session with the given status. */
    async connectionIds(sessionId, status = 'active') {
        const s = await this.getSession(sessionId, { pendingConnections: true });
        if (!s) return null;
        return s.connections.content
            .filter((c) => c.status === status)
            .map((c) => c.connectionId ?? c.id)
            .sort();
    }

    /** Waits until REST lists exactly the connections `ids` (any order) with `status`; resolves them sorted. */
    async waitForConnectionIds(sessionId, ids, { status = 'active', timeoutMs = 5_000, what } = {}) {
        const want = JSON.stringify([...ids].sort());
        let last;
        return waitFor(
            async () => {
                last = await this.connectionIds(sessionId, status);
                return JSON.stringify(last) === want ? last : null;
            },
            {
                timeoutMs,
                what: `REST to list exactly ${what ?? want} as ${status}`,
                describe: () => `${status}: ${JSON.stringify(last)}, wanted ${want}`
            }
        );
    }
}
