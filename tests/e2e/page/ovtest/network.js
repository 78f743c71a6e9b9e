// Network helpers of window.ovtest: the SDK's signalling WebSocket observed
// (connect() fails fast on it) and dropped on demand, and media reconnection.
//   sockets()                     every WebSocket the page opened
//   dropSocket({code, blockMs})   a network drop of the signalling socket
//   wsReadyState()                readyState of the SDK's current socket
//   reconnectStream(streamId)     Stream.reconnect()
//   peerConnectionId(streamId)    changes when a new RTCPeerConnection is made
//   closePeerConnection(streamId) RTCPeerConnection.close() behind the SDK's back (no RPC)
//   setAdvancedConfiguration(c)   OV.setAdvancedConfiguration()
// Must load before the openvidu-browser bundle: it replaces window.WebSocket.
(() => {
    'use strict';

    const { now, state, settle, findStream, pcId } = window.__ovtest;
    const ovtest = window.ovtest;

    // Observe the SDK's WebSocket (openvidu-browser never reports a socket that
    // cannot open: it retries every 3 s forever, so Session.connect() hangs).
    const NativeWebSocket = window.WebSocket;
    // Port 9 (discard): Chromium refuses it outright (net::ERR_UNSAFE_PORT), so a
    // socket pointed there fails at once, like a connection refused.
    const DEAD_SOCKET_URL = 'ws://127.0.0.1:9/openvidu';
    class ObservedWebSocket extends NativeWebSocket {
        constructor(url, protocols) {
            const blocked = now() < state.blockSocketsUntil;
            super(blocked ? DEAD_SOCKET_URL : url, protocols);
            state.socketObjects.push(this);
            const rec = {
                url: String(url),
                blocked,
                createdAt: now(),
                openedAt: null,
                error: false,
                closedAt: null,
                closeCode: null,
                closeReason: null
            };
            state.sockets.push(rec);
            this.addEventListener('open', () => (rec.openedAt = now()));
            this.addEventListener('error', () => (rec.error = true));
            this.addEventListener('close', (e) => {
                rec.closedAt = now();
                rec.closeCode = e.code;
                rec.closeReason = e.reason;
            });
        }
    }
    window.WebSocket = ObservedWebSocket;

    Object.assign(ovtest, {
        sockets() {
            return state.sockets;
        },

        /**
         * A network drop of the signalling socket: closes every open WebSocket of the
         * page with `code` (not 1000: the SDK then reconnects), and makes every new
         * WebSocket fail (it is pointed at a closed port) for `blockMs`. The SDK
         * retries every 3 s, so the socket stays down ≈ ceil(blockMs / 3000) * 3 s.
         */
        dropSocket({ code = 4000, blockMs = 0 } = {}) {
            state.blockSocketsUntil = now() + blockMs;
            let closed = 0;
            for (const ws of state.socketObjects) {
                if (ws.readyState === NativeWebSocket.OPEN) {
                    ws.close(code, 'ovtest network drop');
                    closed++;
                }
            }
            return { closed, blockedUntil: state.blockSocketsUntil };
        },

        /** readyState of the SDK's current socket (1 = open). */
        wsReadyState() {
            return state.OV ? state.OV.getWsReadyState() : null;
        },

        /** Stream.reconnect() (the SDK's public media reconnection) of the local publisher or a remote stream. */
        reconnectStream(streamId, { timeoutMs = 15_000 } = {}) {
            const stream = findStream(streamId);
            if (!stream) throw new Error(`no stream ${streamId} in this page`);
            return settle(stream.reconnect(), timeoutMs, `Stream.reconnect(${streamId})`);
        },

        /** A small id per RTCPeerConnection object (changes when the SDK renegotiates from scratch). */
        peerConnectionId(streamId) {
            const stream = findStream(streamId);
            if (!stream) return null;
            return pcId(stream.getRTCPeerConnection());
        },

        /**
         * Closes the RTCPeerConnection of a stream by script, without telling the SDK or
         * the server: as a crashed tab or a dead media path looks to the server. The SDK
         * sees the "closed" state, which (unlike "failed") it does not repair by itself.
         */
        closePeerConnection(streamId) {
            const stream = findStream(streamId);
            if (!stream) throw new Error(`no stream ${streamId} in this page`);
            const pc = stream.getRTCPeerConnection();
            pc.close();
            return { id: pcId(pc), signalingState: pc.signalingState };
        },

        /** OV.setAdvancedConfiguration(config) (replaces the whole advanced configuration). */
        setAdvancedConfiguration(config) {
            if (!state.OV) throw new Error('connect first');
            state.OV.setAdvancedConfiguration(config);
            return true;
        }
    });
})();
