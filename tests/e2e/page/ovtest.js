// Test helpers of the e2e page, used from Node with page.evaluate():
//   window.ovtest.join({token, name, publish, audio, video})   connect (+ publish)
//   window.ovtest.connect({token, name})   → {ok, connectionId} | {ok:false, stage, timedOut, error, ws}
//   window.ovtest.publish({audio, video}) → {ok, streamId} | {ok:false, stage, error}
//   window.ovtest.stats()            inbound-rtp numbers of every live subscriber
//   window.ovtest.publisherStats()   outbound-rtp numbers of the local publisher
//   window.ovtest.events()           every Session event recorded so far
//   window.ovtest.leave()            session.disconnect()
//   window.ovtest.initLocalPublisher() / localVideo()   harness self-checks
//   (more below: signals, moderation, stream properties, screen sharing,
//   socket drops, media reconnection; each documented where defined)
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
        sockets: [],
        /** the WebSocket objects themselves (same order as `sockets`) */
        socketObjects: [],
        /** while now() < this, new WebSockets are sent to a closed port (see dropSocket) */
        blockSocketsUntil: 0,
        /** Signal event names listened to with listenSignals() */
        signalTypes: new Set(),
        /** the screen-sharing second session of this page (see shareScreen) */
        screen: null
    };

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
        session.on('streamPropertyChanged', (e) =>
            record('streamPropertyChanged', {
                streamId: e.stream.streamId,
                connectionId: e.stream.connection ? e.stream.connection.connectionId : null,
                changedProperty: e.changedProperty,
                newValue: plain(e.newValue),
                oldValue: plain(e.oldValue),
                reason: e.reason
            })
        );
        session.on('signal', (e) => record('signal', signalFields(e)));
        session.on('connectionPropertyChanged', (e) =>
            record('connectionPropertyChanged', {
                connectionId: e.connection ? e.connection.connectionId : null,
                changedProperty: e.changedProperty,
                newValue: plain(e.newValue),
                oldValue: plain(e.oldValue)
            })
        );
    }

    /** Fields of a SignalEvent; `from` is the sender's connection id, or null when undefined (REST). */
    function signalFields(e) {
        return {
            signalType: e.type,
            data: e.data,
            from: e.from ? e.from.connectionId : null,
            fromUndefined: e.from === undefined
        };
    }

    /** Events of the local Publisher object itself (not of the Session). */
    function wirePublisher(publisher, src) {
        const extra = src ? { src } : {};
        publisher.on('streamDestroyed', (e) =>
            record('publisherStreamDestroyed', { ...extra, streamId: e.stream.streamId, reason: e.reason })
        );
        publisher.on('streamPropertyChanged', (e) =>
            record('publisherStreamPropertyChanged', {
                ...extra,
                changedProperty: e.changedProperty,
                newValue: plain(e.newValue),
                oldValue: plain(e.oldValue),
                reason: e.reason
            })
        );
    }

    /** A Connection object for `connectionId`: local, remote, or a stand-in with just the id. */
    function connectionById(connectionId) {
        const session = state.session;
        if (session.connection && session.connection.connectionId === connectionId) return session.connection;
        return session.remoteConnections.get(connectionId) || { connectionId };
    }

    /** A Stream object for `streamId`: own publisher, a remote one, or a stand-in with just the id. */
    function streamById(streamId) {
        if (state.publisher && state.publisher.stream && state.publisher.stream.streamId === streamId) {
            return state.publisher.stream;
        }
        const entry = state.subscribers.get(streamId);
        return entry ? entry.stream : { streamId };
    }

    function requireSession() {
        if (!state.session) throw new Error('connect first');
        return state.session;
    }

    function requirePublisher() {
        if (!state.publisher) throw new Error('publish first');
        return state.publisher;
    }

    /** A 15 fps canvas track of the given size whose picture keeps changing. */
    function canvasTrack(width, height) {
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const ctx = canvas.getContext('2d');
        let n = 0;
        const draw = () => {
            n++;
            ctx.fillStyle = `hsl(${(n * 7) % 360}, 80%, 50%)`;
            ctx.fillRect(0, 0, width, height);
            ctx.fillStyle = '#fff';
            ctx.fillRect((n * 4) % width, (n * 3) % height, 20, 20);
        };
        draw();
        const timer = setInterval(draw, 66);
        const track = canvas.captureStream(15).getVideoTracks()[0];
        track.addEventListener('ended', () => clearInterval(timer));
        return { track, stop: () => clearInterval(timer) };
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
            wirePublisher(state.publisher);
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
                    entry.pcId = pcId(pc);
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
                out.pcId = pcId(pc);
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

    Object.assign(ovtest, {
        /** session.on(<name>) for each exact event name (e.g. 'signal:chat'); records 'signalEvent' {name, ...}. */
        listenSignals(names) {
            const session = requireSession();
            for (const name of names) {
                if (state.signalTypes.has(name)) continue;
                state.signalTypes.add(name);
                session.on(name, (e) => record('signalEvent', { name, ...signalFields(e) }));
            }
            return Array.from(state.signalTypes);
        },

        /** session.signal({data, type, to}) with `to` given as connection ids. Never rejects. */
        async signal({ data, type, to, timeoutMs = 10_000 } = {}) {
            const session = requireSession();
            const options = {};
            if (data !== undefined) options.data = data;
            if (type !== undefined) options.type = type;
            if (to !== undefined) options.to = to.map(connectionById);
            return settle(session.signal(options), timeoutMs, 'session.signal()');
        },

        /** The local Connection as the SDK sees it. */
        localConnection() {
            const c = requireSession().connection;
            return { connectionId: c.connectionId, role: c.role, record: c.record, data: c.data };
        },

        capabilities() {
            return plain(requireSession().capabilities);
        },

        /** session.forceDisconnect(<Connection of connectionId>). Never rejects. */
        forceDisconnect(connectionId, { timeoutMs = 10_000 } = {}) {
            return settle(requireSession().forceDisconnect(connectionById(connectionId)), timeoutMs, 'session.forceDisconnect()');
        },

        /** session.forceUnpublish(<Stream of streamId>). Never rejects. */
        forceUnpublish(streamId, { timeoutMs = 10_000 } = {}) {
            return settle(requireSession().forceUnpublish(streamById(streamId)), timeoutMs, 'session.forceUnpublish()');
        },

        /** publisher.publishAudio(enabled) (synchronous in the SDK). */
        publishAudio(enabled) {
            requirePublisher().publishAudio(enabled);
            return { audioActive: state.publisher.stream.audioActive };
        },

        /** publisher.publishVideo(enabled). Never rejects. */
        async publishVideo(enabled, { timeoutMs = 10_000 } = {}) {
            const r = await settle(requirePublisher().publishVideo(enabled), timeoutMs, 'publisher.publishVideo()');
            return { ...r, value: undefined, videoActive: state.publisher.stream.videoActive };
        },

        /** What the SDK holds for a remote stream (or null). */
        remoteStream(streamId) {
            const entry = state.subscribers.get(streamId);
            if (!entry) return null;
            const st = entry.stream;
            const track = st.getMediaStream() ? st.getMediaStream().getVideoTracks()[0] : undefined;
            return {
                streamId: st.streamId,
                connectionId: st.connection.connectionId,
                destroyed: entry.destroyed,
                hasAudio: st.hasAudio,
                hasVideo: st.hasVideo,
                audioActive: st.audioActive,
                videoActive: st.videoActive,
                typeOfVideo: st.typeOfVideo,
                frameRate: st.frameRate,
                videoDimensions: plain(st.videoDimensions),
                videoTrackEnabled: track ? track.enabled : null
            };
        },

        /** What the SDK holds for the local published stream. */
        localStream() {
            const st = requirePublisher().stream;
            return {
                streamId: st.streamId,
                audioActive: st.audioActive,
                videoActive: st.videoActive,
                typeOfVideo: st.typeOfVideo,
                videoDimensions: plain(st.videoDimensions),
                published: st.isLocalStreamPublished
            };
        },

        /** publisher.replaceTrack(<canvas track width x height>). Never rejects; returns the new track's label. */
        async replaceVideoTrack({ width = 160, height = 120, timeoutMs = 10_000 } = {}) {
            const publisher = requirePublisher();
            const { track, stop } = canvasTrack(width, height);
            const r = await settle(publisher.replaceTrack(track), timeoutMs, 'publisher.replaceTrack()');
            if (!r.ok) stop();
            return { ...r, value: undefined, label: track.label, settings: plain(track.getSettings()) };
        },

        /**
         * A second session.publish() on the already publishing connection (must be refused).
         * Restores the first publisher as the connection's stream afterwards (the SDK
         * replaces Connection.stream before asking the server). Never rejects.
         */
        async publishSecond({ timeoutMs = 15_000 } = {}) {
            const session = requireSession();
            const first = requirePublisher();
            const init = await settle(
                state.OV.initPublisherAsync(undefined, {
                    audioSource: false,
                    publishAudio: false,
                    resolution: '320x240',
                    frameRate: 15
                }),
                timeoutMs,
                'OV.initPublisherAsync()'
            );
            if (!init.ok) return { ...init, stage: 'initPublisher' };
            const second = init.value;
            const r = await settle(session.publish(second), timeoutMs, 'session.publish() (second)');
            try {
                second.stream.disposeWebRtcPeer();
            } catch (e) {
                // nothing to dispose
            }
            second.stream.getMediaStream().getTracks().forEach((t) => t.stop());
            session.connection.stream = first.stream;
            return { ...r, value: undefined, stage: 'publish' };
        },

        /**
         * Records publisherStartSpeaking / publisherStopSpeaking (client-side hark on
         * every stream with audio, local and remote), after
         * OV.setAdvancedConfiguration({publisherSpeakingEventsOptions: {interval, threshold}}).
         */
        listenSpeaking({ interval = 100, threshold = -50 } = {}) {
            const session = requireSession();
            state.OV.setAdvancedConfiguration({ publisherSpeakingEventsOptions: { interval, threshold } });
            session.on('publisherStartSpeaking', (e) =>
                record('publisherStartSpeaking', { connectionId: e.connection.connectionId, streamId: e.streamId })
            );
            session.on('publisherStopSpeaking', (e) =>
                record('publisherStopSpeaking', { connectionId: e.connection.connectionId, streamId: e.streamId })
            );
            return true;
        },

        /**
         * Screen sharing the way OpenVidu's tutorial does it: a second OpenVidu + Session
         * (second connection) in this page, publishing {videoSource: 'screen'} and
         * subscribing to nothing. Events of that session are recorded with src 'screen'.
         */
        async shareScreen({ token, name = 'screen', timeoutMs = 15_000 } = {}) {
            if (state.screen) throw new Error('this page already shares its screen');
            const OV = new window.OpenVidu();
            const session = OV.initSession();
            const scr = (state.screen = { OV, session, publisher: null });
            session.on('sessionDisconnected', (e) => record('sessionDisconnected', { src: 'screen', reason: e.reason }));
            session.on('connectionCreated', (e) =>
                record('connectionCreated', { src: 'screen', connectionId: e.connection.connectionId })
            );
            const c = await settle(session.connect(token, { clientData: name }), timeoutMs, 'screen session.connect()');
            if (!c.ok) return { ...c, stage: 'connect' };
            const init = await settle(
                OV.initPublisherAsync(container('publisher'), {
                    videoSource: 'screen',
                    audioSource: false,
                    publishAudio: false,
                    publishVideo: true,
                    frameRate: 15,
                    insertMode: 'APPEND',
                    mirror: false
                }),
                timeoutMs,
                'OV.initPublisherAsync(screen)'
            );
            if (!init.ok) return { ...init, stage: 'initPublisher' };
            scr.publisher = init.value;
            wirePublisher(scr.publisher, 'screen');
            const pub = await settle(session.publish(scr.publisher), timeoutMs, 'screen session.publish()');
            if (!pub.ok) return { ...pub, stage: 'publish' };
            const track = scr.publisher.stream.getMediaStream().getVideoTracks()[0];
            return {
                ok: true,
                connectionId: session.connection.connectionId,
                streamId: scr.publisher.stream.streamId,
                typeOfVideo: scr.publisher.stream.typeOfVideo,
                trackLabel: track ? track.label : null,
                trackSettings: track ? plain(track.getSettings()) : null
            };
        },

        /** outbound-rtp video numbers of the screen publisher. */
        async screenPublisherStats() {
            if (!state.screen || !state.screen.publisher) return null;
            const pc = state.screen.publisher.stream.getRTCPeerConnection();
            const out = { iceConnectionState: pc.iceConnectionState, video: null };
            (await pc.getStats()).forEach((r) => {
                if (r.type === 'outbound-rtp' && r.kind === 'video') {
                    out.video = { framesEncoded: r.framesEncoded, packetsSent: r.packetsSent, frameWidth: r.frameWidth };
                }
            });
            return out;
        },

        leaveScreen() {
            if (!state.screen) return false;
            state.screen.session.disconnect();
            return true;
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
            const stream = state.publisher && state.publisher.stream.streamId === streamId ? state.publisher.stream : state.subscribers.get(streamId)?.stream;
            if (!stream) throw new Error(`no stream ${streamId} in this page`);
            return settle(stream.reconnect(), timeoutMs, `Stream.reconnect(${streamId})`);
        },

        /** OV.setAdvancedConfiguration(config) (replaces the whole advanced configuration). */
        setAdvancedConfiguration(config) {
            if (!state.OV) throw new Error('connect first');
            state.OV.setAdvancedConfiguration(config);
            return true;
        },

        /** A small id per RTCPeerConnection object (changes when the SDK renegotiates from scratch). */
        peerConnectionId(streamId) {
            const stream = state.publisher && state.publisher.stream.streamId === streamId ? state.publisher.stream : state.subscribers.get(streamId)?.stream;
            if (!stream) return null;
            return pcId(stream.getRTCPeerConnection());
        },

        /**
         * Forgets the page's session (disconnecting it if still connected), its
         * publisher, subscribers and recorded events, so that the page can join again
         * with a new token (tests that reuse a page).
         */
        reset() {
            if (state.session) {
                try {
                    if (state.session.connection && !state.session.connection.disposed) state.session.disconnect();
                } catch (e) {
                    // already gone
                }
            }
            state.session = null;
            state.OV = null;
            state.publisher = null;
            state.subscribers.clear();
            state.signalTypes.clear();
            state.events.length = 0;
            container('publisher').replaceChildren();
            container('subscribers').replaceChildren();
            return true;
        },

        /** Clears the recorded events (tests that reuse pages). */
        clearEvents() {
            state.events.length = 0;
            return true;
        }
    });

    const pcIds = new WeakMap();
    let nextPcId = 1;
    function pcId(pc) {
        if (!pc) return null;
        if (!pcIds.has(pc)) pcIds.set(pc, nextPcId++);
        return pcIds.get(pc);
    }

    window.ovtest = ovtest;
})();
