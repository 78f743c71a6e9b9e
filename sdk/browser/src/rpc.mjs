// JSON-RPC 2.0 over the OpenVidu WebSocket, with the keepalive and reconnection of
// openvidu-browser's kurento-jsonrpc client (protocol spec §2.2-2.4 and §6.4):
// - ids count from 0 per client and keep counting across reconnections;
// - a ping every 5 s (the first one, and the first after a reconnection, with
//   {interval: 5000}); a ping unanswered for 5 s, or a socket that closes without us
//   closing it, starts a reconnection;
// - a reconnection closes the old socket (4104), opens `url&reconnect=true` every 3 s
//   until one opens, then lets the owner send `connect` before anything else: requests
//   made meanwhile wait in a queue and go out once the owner calls resume().

const REQUEST_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;
const PING_INTERVAL_MS = 5_000;
const RETRY_MS = 3_000;

/**
 * @typedef {object} RpcHandlers
 * @property {(method: string, params: any) => void} notification
 * @property {() => void} reconnecting   the socket was lost; reconnection started
 * @property {() => void} reopened       a new socket is open: send `connect` (with {direct: true}), then resume()
 */

/** A JSON-RPC error as the server sent it, plus when the request was made. */
/** @typedef {{code: number, message: string, data?: any, requestTime?: number}} RpcError */

export class RpcClient {
    /** @param {string} url the WebSocket URL @param {RpcHandlers} handlers */
    constructor(url, handlers) {
        this.url = url;
        this.handlers = handlers;
        this.nextId = 0;
        /** @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void, timer: any}>} */
        this.pending = new Map();
        /** messages waiting for the socket (or for resume() after a reconnection) */
        /** @type {string[]} */
        this.queue = [];
        /** true while requests may go straight to the socket */
        this.ready = false;
        this.closed = false;
        this.reconnecting = false;
        this.firstPing = true;
        /** @type {any} */
        this.pingTimer = null;
        /** @type {any} */
        this.retryTimer = null;
        /** @type {WebSocket | null} */
        this.ws = null;
    }

    /**
     * Opens the first socket. Resolves once it is open; rejects if it closes before
     * opening (openvidu-browser would retry forever and never settle `connect()`).
     * @returns {Promise<void>}
     */
    open() {
        return new Promise((resolve, reject) => {
            const ws = this.socket(this.url);
            ws.onopen = () => {
                ws.onclose = () => this.lost(ws);
                this.ready = true;
                this.startPings();
                this.flush();
                resolve();
            };
            ws.onclose = (e) => {
                this.closed = true;
                reject(new Error(`WebSocket ${this.url} could not be opened (code ${e.code})`));
            };
        });
    }

    /** @param {string} url @returns {WebSocket} */
    socket(url) {
        const ws = new WebSocket(url);
        this.ws = ws;
        ws.onmessage = (e) => {
            if (this.ws === ws) this.receive(e.data);
        };
        return ws;
    }

    /** The socket's readyState (WebSocket.CLOSED when there is none). */
    get readyState() {
        return this.ws ? this.ws.readyState : 3;
    }

    /**
     * Sends a request; resolves its `result`, rejects with its `error` object (or an
     * Error on timeout). `direct` skips the queue (only `connect` after a reconnection).
     * @param {string} method
     * @param {any} [params]
     * @param {{direct?: boolean, timeoutMs?: number}} [options]
     * @returns {Promise<any>}
     */
    request(method, params, { direct = false, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
        const id = this.nextId++;
        /** @type {any} */
        const message = { jsonrpc: '2.0', method, id };
        if (params) message.params = params;
        const requestTime = Date.now();
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(id);
                reject(Object.assign(new Error('Request has timed out'), { requestTime }));
            }, timeoutMs);
            this.pending.set(id, {
                resolve,
                reject: (/** @type {any} */ e) => reject(Object.assign(e, { requestTime })),
                timer
            });
            const text = JSON.stringify(message);
            if (this.closed) {
                this.settle(id, undefined, { code: -1, message: 'WebSocket closed' });
            } else if ((this.ready || direct) && this.ws && this.ws.readyState === 1) {
                this.ws.send(text);
            } else {
                this.queue.push(text);
            }
        });
    }

    /** @param {string} text */
    receive(text) {
        let msg;
        try {
            msg = JSON.parse(text);
        } catch {
            return;
        }
        if (!msg || msg.jsonrpc !== '2.0') return;
        if (typeof msg.method === 'string') {
            // Requests from the server (method + id) are not part of OpenVidu's protocol.
            if (msg.id === undefined || msg.id === null) this.handlers.notification(msg.method, msg.params || {});
            return;
        }
        if (('result' in msg) === ('error' in msg)) return;
        this.settle(msg.id, msg.result, msg.error);
    }

    /** @param {number} id @param {any} result @param {any} error */
    settle(id, result, error) {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        if (error) p.reject({ ...error });
        else p.resolve(result);
    }

    flush() {
        const ws = this.ws;
        while (this.queue.length && ws && ws.readyState === 1) ws.send(/** @type {string} */ (this.queue.shift()));
    }

    startPings() {
        clearInterval(this.pingTimer);
        this.firstPing = true;
        const ping = () => {
            const params = this.firstPing ? { interval: PING_INTERVAL_MS } : undefined;
            this.firstPing = false;
            const ws = this.ws;
            this.request('ping', params, { direct: true, timeoutMs: PING_TIMEOUT_MS }).catch(() => {
                if (this.ws === ws && !this.closed && !this.reconnecting) this.reconnect();
            });
        };
        this.pingTimer = setInterval(ping, PING_INTERVAL_MS);
        ping();
    }

    /** @param {WebSocket} ws a socket that closed without close() */
    lost(ws) {
        if (this.ws === ws && !this.closed) this.reconnect();
    }

    /** Drops the current socket and opens new ones every 3 s until one opens. */
    reconnect() {
        if (this.reconnecting || this.closed) return;
        this.reconnecting = true;
        this.ready = false;
        clearInterval(this.pingTimer);
        this.handlers.reconnecting();
        if (!/[?&]reconnect=/.test(this.url)) this.url += (this.url.includes('?') ? '&' : '?') + 'reconnect=true';
        const attempt = () => {
            if (this.closed) return;
            const old = this.ws;
            if (old) {
                old.onclose = null;
                if (old.readyState < 2) old.close(4104, 'Connection closed for reconnection');
            }
            const ws = this.socket(this.url);
            ws.onopen = () => {
                this.reconnecting = false;
                ws.onclose = () => this.lost(ws);
                this.handlers.reopened();
            };
            ws.onclose = () => {
                if (this.ws === ws) this.retryTimer = setTimeout(attempt, RETRY_MS);
            };
        };
        attempt();
    }

    /** After a successful `connect`: pings again, queued requests go out. */
    resume() {
        this.ready = true;
        this.startPings();
        this.flush();
    }

    /** Closes for good (no reconnection); pending requests are left to time out. @param {number} code @param {string} reason */
    close(code, reason) {
        this.closed = true;
        this.ready = false;
        clearInterval(this.pingTimer);
        clearTimeout(this.retryTimer);
        const ws = this.ws;
        if (ws) {
            ws.onclose = null;
            if (ws.readyState < 2) ws.close(code, reason);
        }
    }
}
