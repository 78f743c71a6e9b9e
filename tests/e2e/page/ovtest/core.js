// The e2e page's helpers, `window.ovtest`, called from Node with page.evaluate()
// (tests/e2e/README.md lists them). They are plain scripts, one concept each,
// loaded in order by index.html before the openvidu-browser bundle:
//   core.js        this file: `window.ovtest`, the page's state, shared utilities
//   network.js     the SDK's WebSocket observed and dropped; media reconnection
//   stats.js       inbound/outbound RTP numbers, first decoded frame
//   session.js     connect / publish / join / leave / reset; Session events recorded
//   streams.js     the published stream's properties, remote/local stream state
//   moderation.js  signals, capabilities, forceDisconnect / forceUnpublish
//   screen.js      screen sharing through a second connection
// Each later file adds its methods to `window.ovtest` and takes what it shares
// from `window.__ovtest` (internal: tests use `window.ovtest` only).
// Only the public openvidu-browser API is used (plus Stream.getRTCPeerConnection()).
// Every promise here settles: SDK calls are raced against a timeout.
(() => {
    'use strict';

    const now = () => Math.round(performance.now());

    const state = {
        name: '',
        OV: null,
        session: null,
        publisher: null,
        /** streamId → {sub, stream, connectionId, data, createdAt, firstFrameAt, destroyed, subscribeError} */
        subscribers: new Map(),
        events: [],
        /** every WebSocket the page opened: {url, blocked, createdAt, openedAt, error, closedAt, closeCode, closeReason} */
        sockets: [],
        /** the WebSocket objects themselves (same order as `sockets`) */
        socketObjects: [],
        /** while now() < this, new WebSockets are sent to a closed port (see network.js) */
        blockSocketsUntil: 0,
        /** Signal event names listened to with listenSignals() */
        signalTypes: new Set(),
        /** the screen-sharing second session of this page (see screen.js) */
        screen: null
    };

    function serializeError(e) {
        if (e === null || e === undefined) return { value: String(e) };
        if (typeof e !== 'object') return { value: String(e), type: typeof e };
        const out = {
            isError: e instanceof Error,
            constructorName: e.constructor ? e.constructor.name : undefined,
            name: e.name,
            code: e.code,
            message: e.message,
            keys: Object.keys(e)
        };
        if (e.data !== undefined) out.data = typeof e.data === 'string' ? e.data.slice(0, 2000) : e.data;
        return out;
    }

    /** A JSON-safe copy of an event value (drops functions, cycles and SDK objects). */
    function plain(v, depth = 0) {
        if (v === null || v === undefined) return v === undefined ? null : v;
        if (typeof v !== 'object') return typeof v === 'function' ? '[function]' : v;
        if (depth > 3) return '[deep]';
        if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
        const ctor = v.constructor ? v.constructor.name : '';
        if (ctor && ctor !== 'Object') {
            // SDK objects (Filter, Stream, ...) have cycles: keep a few readable fields.
            const out = { constructorName: ctor };
            for (const k of ['type', 'options', 'streamId', 'connectionId', 'label']) {
                if (v[k] !== undefined && typeof v[k] !== 'object') out[k] = v[k];
            }
            return out;
        }
        const out = {};
        for (const [k, x] of Object.entries(v)) out[k] = plain(x, depth + 1);
        return out;
    }

    /** Resolves {ok:true, value} / {ok:false, error} / {ok:false, timedOut:true} (never rejects). */
    function settle(promise, ms, what) {
        return new Promise((resolve) => {
            const timer = setTimeout(
                () => resolve({ ok: false, timedOut: true, error: { message: `${what} did not settle within ${ms} ms` } }),
                ms
            );
            Promise.resolve(promise).then(
                (value) => {
                    clearTimeout(timer);
                    resolve({ ok: true, value });
                },
                (error) => {
                    clearTimeout(timer);
                    resolve({ ok: false, error: serializeError(error) });
                }
            );
        });
    }

    /** Appends an event to the page's record (ovtest.events()). */
    function record(type, fields) {
        state.events.push({ type, t: now(), ...fields });
    }

    function container(id) {
        return document.getElementById(id);
    }

    /** OV.initPublisherAsync(<#publisher>, options), appended and not mirrored, settled. */
    function initPublisher(OV, options, timeoutMs, what) {
        return settle(
            OV.initPublisherAsync(container('publisher'), { ...options, insertMode: 'APPEND', mirror: false }),
            timeoutMs,
            what
        );
    }

    function requireSession() {
        if (!state.session) throw new Error('connect first');
        return state.session;
    }

    function requirePublisher() {
        if (!state.publisher) throw new Error('publish first');
        return state.publisher;
    }

    /** The Stream object of `streamId` in this page (own publisher's or a remote one), or null. */
    function findStream(streamId) {
        if (state.publisher && state.publisher.stream && state.publisher.stream.streamId === streamId) {
            return state.publisher.stream;
        }
        const entry = state.subscribers.get(streamId);
        return entry ? entry.stream : null;
    }

    /** A Stream object for `streamId`: own publisher, a remote one, or a stand-in with just the id. */
    function streamById(streamId) {
        return findStream(streamId) || { streamId };
    }

    /** A Connection object for `connectionId`: local, remote, or a stand-in with just the id. */
    function connectionById(connectionId) {
        const session = state.session;
        if (session.connection && session.connection.connectionId === connectionId) return session.connection;
        return session.remoteConnections.get(connectionId) || { connectionId };
    }

    /** A small id per RTCPeerConnection object (a new one when the SDK renegotiates from scratch). */
    const pcIds = new WeakMap();
    let nextPcId = 1;
    function pcId(pc) {
        if (!pc) return null;
        if (!pcIds.has(pc)) pcIds.set(pc, nextPcId++);
        return pcIds.get(pc);
    }

    /** The public API; `ready` is set by index.html once the bundle is loaded. */
    window.ovtest = { ready: false };

    window.__ovtest = {
        now,
        state,
        serializeError,
        plain,
        settle,
        record,
        container,
        initPublisher,
        requireSession,
        requirePublisher,
        findStream,
        streamById,
        connectionById,
        pcId
    };
})();
