// Test helpers of the e2e page, used from Node with page.evaluate():
//   window.ovtest.join({token, name, publish, audio, video})   connect (+ publish)
//   window.ovtest.connect({token, name})   → {ok, connectionId} | {ok:false, stage, timedOut, error, ws}
//   window.ovtest.publish({audio, video}) → {ok, streamId} | {ok:false, stage, error}
//   window.ovtest.stats()            inbound-rtp numbers of every live subscriber
//   window.ovtest.publisherStats()   outbound-rtp numbers of the local publisher
//   window.ovtest.events()           every Session event recorded so far
//   window.ovtest.leave()            session.disconnect()
//   window.ovtest.initLocalPublisher() / localVideo()   harness self-checks
// It only uses the public openvidu-browser API (plus Stream.getRTCPeerConnection()).
// Every promise here settles: SDK calls are raced against a timeout.
(() => {
    'use strict';

    const now = () => Math.round(performance.now());

    const state = {
        name: '',
        OV: null,
        session: null,
        publisher: null,
        /** streamId → {sub, stream, connectionId, data, createdAt, firstFrameAt, destroyed} */
        subscribers: new Map(),
        events: [],
        /** every WebSocket the page opened: {url, createdAt, openedAt, error, closedAt, closeCode, closeReason} */
        sockets: []
    };

    // Observe the SDK's WebSocket (openvidu-browser never reports a socket that
    // cannot open: it retries every 3 s forever, so Session.connect() hangs).
    const NativeWebSocket = window.WebSocket;
    class ObservedWebSocket extends NativeWebSocket {
        constructor(url, protocols) {
            super(url, protocols);
            const rec = {
                url: String(url),
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

    function record(type, fields) {
        state.events.push({ type, t: now(), ...fields });
    }

    function container(id) {
        return document.getElementById(id);
    }

    function newOpenVidu() {
        const OV = new window.OpenVidu();
        return OV;
    }

    function watchFirstFrame(entry) {
        const deadline = now() + 30_000;
        const poll = async () => {
            if (entry.destroyed || entry.firstFrameAt !== null || now() > deadline) return;
            try {
                const pc = entry.stream.getRTCPeerConnection();
                if (pc) {
                    const report = await pc.getStats();
                    report.forEach((r) => {
                        if (r.type === 'inbound-rtp' && r.kind === 'video' && r.framesDecoded > 0 && entry.firstFrameAt === null) {
                            entry.firstFrameAt = now();
                        }
                    });
                }
            } catch (e) {
                // no peer connection yet
            }
            if (entry.firstFrameAt === null) setTimeout(poll, 50);
        };
        setTimeout(poll, 50);
    }

    function wireSession(session) {
        session.on('connectionCreated', (e) =>
            record('connectionCreated', { connectionId: e.connection.connectionId, data: e.connection.data })
        );
        session.on('connectionDestroyed', (e) =>
            record('connectionDestroyed', { connectionId: e.connection.connectionId, reason: e.reason })
        );
        session.on('streamCreated', (e) => {
            const stream = e.stream;
            const connectionId = stream.connection.connectionId;
            record('streamCreated', { streamId: stream.streamId, connectionId });
            const div = document.createElement('div');
            div.id = 'sub-' + stream.streamId;
            container('subscribers').appendChild(div);
            const entry = {
                sub: null,
                stream,
                connectionId,
                data: stream.connection.data,
                createdAt: now(),
                firstFrameAt: null,
                destroyed: false,
                subscribeError: null
            };
            state.subscribers.set(stream.streamId, entry);
            try {
                entry.sub = session.subscribe(stream, div, { insertMode: 'APPEND' }, (err) => {
                    if (err) {
                        entry.subscribeError = serializeError(err);
                        record('subscribeError', { streamId: stream.streamId, error: entry.subscribeError });
                    }
                });
            } catch (err) {
                entry.subscribeError = serializeError(err);
                record('subscribeError', { streamId: stream.streamId, error: entry.subscribeError });
            }
            watchFirstFrame(entry);
        });
        session.on('streamDestroyed', (e) => {
            const streamId = e.stream.streamId;
            record('streamDestroyed', { streamId, connectionId: e.stream.connection.connectionId, reason: e.reason });
            const entry = state.subscribers.get(streamId);
            if (entry) entry.destroyed = true;
        });
        session.on('sessionDisconnected', (e) => record('sessionDisconnected', { reason: e.reason }));
        session.on('exception', (e) =>
            record('exception', {
                name: e.name,
                message: e.message,
                streamId: e.origin && e.origin.streamId ? e.origin.streamId : undefined
            })
        );
        session.on('reconnecting', () => record('reconnecting', {}));
        session.on('reconnected', () => record('reconnected', {}));
    }

    const ovtest = {
        ready: false,

        /**
         * new OpenVidu() + initSession() + session.connect(token, {clientData: name}).
         * Never rejects. Fails fast (stage 'websocket') when the SDK's WebSocket cannot
         * open, else after timeoutMs (the SDK itself would wait forever).
         */
        async connect({ token, name = 'participant', timeoutMs = 15_000 } = {}) {
            if (state.session) throw new Error('this page already has a session');
            state.name = name;
            document.getElementById('name').textContent = name;
            const OV = (state.OV = newOpenVidu());
            const session = (state.session = OV.initSession());
            wireSession(session);
            const firstSocket = state.sockets.length;
            const started = now();
            let stopWatch = false;
            const socketFailure = new Promise((resolve) => {
                const check = () => {
                    if (stopWatch) return;
                    const failed = state.sockets.slice(firstSocket).find((s) => s.openedAt === null && (s.error || s.closedAt !== null));
                    if (failed) {
                        resolve({
                            ok: false,
                            stage: 'websocket',
                            error: {
                                message:
                                    `the WebSocket ${failed.url} could not be opened (close code ${failed.closeCode}); ` +
                                    'openvidu-browser would retry every 3 s and never settle session.connect()'
                            }
                        });
                    } else {
                        setTimeout(check, 50);
                    }
                };
                check();
            });
            let result;
            try {
                result = await Promise.race([
                    settle(session.connect(token, { clientData: name }), timeoutMs, 'session.connect()'),
                    socketFailure
                ]);
            } catch (e) {
                result = { ok: false, error: serializeError(e) };
            }
            stopWatch = true;
            result.elapsedMs = now() - started;
            result.sockets = state.sockets.slice(firstSocket);
            if (result.ok) {
                delete result.value;
                result.connectionId = session.connection.connectionId;
                result.data = session.connection.data;
                result.role = session.connection.role;
                result.sessionId = session.sessionId;
            } else {
                result.stage = result.stage || 'connect';
                if (result.stage === 'websocket' || result.timedOut) {
                    // Stop the SDK's endless reconnection attempts.
                    try {
                        OV.closeWs();
                    } catch (e) {
                        // nothing to close
                    }
                }
            }
            record('connectResult', { ok: result.ok, stage: result.stage, error: result.error });
            return result;
        },

        /** OV.initPublisherAsync (fake devices, 320x240) + session.publish. Never rejects. */
        async publish({ audio = true, video = true, resolution = '320x240', frameRate = 15, timeoutMs = 15_000 } = {}) {
            if (!state.session) throw new Error('connect first');
            const init = await settle(
                state.OV.initPublisherAsync(container('publisher'), {
                    audioSource: audio ? undefined : false,
                    videoSource: video ? undefined : false,
                    publishAudio: audio,
                    publishVideo: video,
                    resolution,
                    frameRate,
                    insertMode: 'APPEND',
                    mirror: false
                }),
                timeoutMs,
                'OV.initPublisherAsync()'
            );
            if (!init.ok) return { ...init, stage: 'initPublisher' };
            state.publisher = init.value;
            const pub = await settle(state.session.publish(state.publisher), timeoutMs, 'session.publish()');
            if (!pub.ok) return { ...pub, stage: 'publish' };
            return { ok: true, streamId: state.publisher.stream.streamId };
        },

        /** connect + publish; rejects (so page.evaluate throws) with a descriptive message. */
        async join({ token, name, publish = true, audio = true, video = true, timeoutMs = 15_000 } = {}) {
            const c = await ovtest.connect({ token, name, timeoutMs });
            if (!c.ok) throw new Error(`[${name}] session.connect failed: ${JSON.stringify(c)}`);
            let streamId = null;
            if (publish) {
                const p = await ovtest.publish({ audio, video, timeoutMs });
                if (!p.ok) throw new Error(`[${name}] publishing failed: ${JSON.stringify(p)}`);
                streamId = p.streamId;
            }
            return { connectionId: c.connectionId, data: c.data, role: c.role, streamId };
        },

        /** inbound-rtp numbers of every subscriber whose stream was not destroyed. */
        async stats() {
            const out = [];
            for (const [streamId, s] of state.subscribers) {
                if (s.destroyed) continue;
                const entry = {
                    streamId,
                    connectionId: s.connectionId,
                    data: s.data,
                    createdAt: s.createdAt,
                    firstFrameAt: s.firstFrameAt,
                    firstFrameDelayMs: s.firstFrameAt === null ? null : s.firstFrameAt - s.createdAt,
                    subscribeError: s.subscribeError,
                    video: null,
                    audio: null
                };
                try {
                    const pc = s.stream.getRTCPeerConnection();
                    entry.iceConnectionState = pc.iceConnectionState;
                    entry.connectionState = pc.connectionState;
                    const report = await pc.getStats();
                    report.forEach((r) => {
                        if (r.type !== 'inbound-rtp') return;
                        if (r.kind === 'video') {
                            entry.video = {
                                framesDecoded: r.framesDecoded || 0,
                                keyFramesDecoded: r.keyFramesDecoded || 0,
                                packetsReceived: r.packetsReceived || 0,
                                frameWidth: r.frameWidth,
                                frameHeight: r.frameHeight,
                                pliCount: r.pliCount,
                                firCount: r.firCount
                            };
                        } else if (r.kind === 'audio') {
                            entry.audio = { packetsReceived: r.packetsReceived || 0 };
                        }
                    });
                } catch (e) {
                    entry.error = String(e);
                }
                out.push(entry);
            }
            return out;
        },

        /** outbound-rtp numbers of the local publisher (pliCount = keyframe requests received). */
        async publisherStats() {
            if (!state.publisher || !state.publisher.stream) return null;
            const out = { streamId: state.publisher.stream.streamId, video: null, audio: null };
            try {
                const pc = state.publisher.stream.getRTCPeerConnection();
                out.iceConnectionState = pc.iceConnectionState;
                const report = await pc.getStats();
                report.forEach((r) => {
                    if (r.type !== 'outbound-rtp') return;
                    if (r.kind === 'video') {
                        out.video = {
                            framesEncoded: r.framesEncoded,
                            keyFramesEncoded: r.keyFramesEncoded,
                            pliCount: r.pliCount,
                            firCount: r.firCount,
                            nackCount: r.nackCount,
                            packetsSent: r.packetsSent
                        };
                    } else if (r.kind === 'audio') {
                        out.audio = { packetsSent: r.packetsSent };
                    }
                });
            } catch (e) {
                out.error = String(e);
            }
            return out;
        },

        events() {
            return state.events;
        },

        sockets() {
            return state.sockets;
        },

        /** session.disconnect() (sends leaveRoom; emits sessionDisconnected 'disconnect' locally). */
        leave() {
            if (!state.session) return false;
            state.session.disconnect();
            return true;
        },

        /** Harness self-check: a local publisher without any session. */
        async initLocalPublisher({ resolution = '320x240', frameRate = 15, timeoutMs = 15_000 } = {}) {
            const OV = state.OV || (state.OV = newOpenVidu());
            const init = await settle(
                OV.initPublisherAsync(container('publisher'), {
                    resolution,
                    frameRate,
                    publishAudio: true,
                    publishVideo: true,
                    insertMode: 'APPEND',
                    mirror: false
                }),
                timeoutMs,
                'OV.initPublisherAsync()'
            );
            if (!init.ok) return init;
            state.publisher = init.value;
            const track = state.publisher.stream.getMediaStream().getVideoTracks()[0];
            return {
                ok: true,
                libraryVersion: OV.libraryVersion,
                audioTracks: state.publisher.stream.getMediaStream().getAudioTracks().length,
                videoSettings: track ? track.getSettings() : null
            };
        },

        /** State of the local publisher's <video> elements. */
        localVideo() {
            return Array.from(container('publisher').querySelectorAll('video')).map((v) => ({
                width: v.videoWidth,
                height: v.videoHeight,
                paused: v.paused,
                readyState: v.readyState,
                currentTime: v.currentTime,
                totalVideoFrames: v.getVideoPlaybackQuality().totalVideoFrames
            }));
        }
    };

    window.ovtest = ovtest;
})();
