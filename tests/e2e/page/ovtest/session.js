// The page's session in window.ovtest: joining, leaving, and every Session event recorded.
//   connect({token, name})   → {ok, connectionId, …} | {ok:false, stage, timedOut, error, sockets}
//   publish({audio, video})  → {ok, streamId} | {ok:false, stage, error}
//   join({token, name, publish, audio, video})   connect (+ publish); rejects on failure
//   events()                 every event recorded so far
//   leave()                  session.disconnect()
//   reset() / clearEvents()  so that tests can reuse a page
//   initLocalPublisher() / localVideo()   harness self-checks (no session)
// Every remote stream is subscribed to as soon as it is created.
(() => {
    'use strict';

    const kit = window.__ovtest;
    const { now, state, serializeError, plain, settle, record, container, initPublisher, requireSession, watchFirstFrame } = kit;
    const ovtest = window.ovtest;

    /** changedProperty / newValue / oldValue of a (stream or connection) property change, JSON-safe. */
    function changeFields(e) {
        return { changedProperty: e.changedProperty, newValue: plain(e.newValue), oldValue: plain(e.oldValue) };
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

    /** Subscribes to a new remote stream (into #subscribers) and tracks it in state.subscribers. */
    function subscribe(session, stream) {
        const connectionId = stream.connection.connectionId;
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
        const failed = (err) => {
            entry.subscribeError = serializeError(err);
            record('subscribeError', { streamId: stream.streamId, error: entry.subscribeError });
        };
        try {
            entry.sub = session.subscribe(stream, div, { insertMode: 'APPEND' }, (err) => {
                if (err) failed(err);
            });
        } catch (err) {
            failed(err);
        }
        watchFirstFrame(entry);
    }

    function wireSession(session) {
        session.on('connectionCreated', (e) =>
            record('connectionCreated', { connectionId: e.connection.connectionId, data: e.connection.data })
        );
        session.on('connectionDestroyed', (e) =>
            record('connectionDestroyed', { connectionId: e.connection.connectionId, reason: e.reason })
        );
        session.on('streamCreated', (e) => {
            record('streamCreated', { streamId: e.stream.streamId, connectionId: e.stream.connection.connectionId });
            subscribe(session, e.stream);
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
                ...changeFields(e),
                reason: e.reason
            })
        );
        session.on('signal', (e) => record('signal', signalFields(e)));
        session.on('recordingStarted', (e) => record('recordingStarted', { id: e.id, name: e.name }));
        session.on('recordingStopped', (e) => record('recordingStopped', { id: e.id, name: e.name, reason: e.reason }));
        session.on('connectionPropertyChanged', (e) =>
            record('connectionPropertyChanged', {
                connectionId: e.connection ? e.connection.connectionId : null,
                ...changeFields(e)
            })
        );
        session.on('networkQualityLevelChanged', (e) =>
            record('networkQualityLevelChanged', {
                connectionId: e.connection ? e.connection.connectionId : null,
                newValue: e.newValue,
                oldValue: e.oldValue
            })
        );
    }

    /** Events of a local Publisher object itself (not of the Session); tagged with `src` when given. */
    function wirePublisher(publisher, src) {
        const extra = src ? { src } : {};
        publisher.on('streamDestroyed', (e) =>
            record('publisherStreamDestroyed', { ...extra, streamId: e.stream.streamId, reason: e.reason })
        );
        publisher.on('streamPropertyChanged', (e) =>
            record('publisherStreamPropertyChanged', { ...extra, ...changeFields(e), reason: e.reason })
        );
    }

    /**
     * Resolves like settle() with {ok:false, stage:'websocket'} as soon as a WebSocket
     * opened from index `firstSocket` on fails before opening; `stop()` ends the watch.
     */
    function watchSocketFailure(firstSocket) {
        let stopped = false;
        const failure = new Promise((resolve) => {
            const check = () => {
                if (stopped) return;
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
        return { failure, stop: () => (stopped = true) };
    }

    Object.assign(ovtest, {
        /**
         * new OpenVidu() + initSession() + session.connect(token, {clientData: name}).
         * Never rejects. Fails fast (stage 'websocket') when the SDK's WebSocket cannot
         * open, else after timeoutMs (the SDK itself would wait forever).
         */
        async connect({ token, name = 'participant', timeoutMs = 15_000 } = {}) {
            if (state.session) throw new Error('this page already has a session');
            state.name = name;
            container('name').textContent = name;
            const OV = (state.OV = new window.OpenVidu());
            const session = (state.session = OV.initSession());
            wireSession(session);
            const firstSocket = state.sockets.length;
            const started = now();
            const socketWatch = watchSocketFailure(firstSocket);
            let result;
            try {
                result = await Promise.race([
                    settle(session.connect(token, { clientData: name }), timeoutMs, 'session.connect()'),
                    socketWatch.failure
                ]);
            } catch (e) {
                result = { ok: false, error: serializeError(e) };
            }
            socketWatch.stop();
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

        /**
         * OV.initPublisherAsync (fake devices, 320x240) + session.publish. Never rejects.
         * `simulcast` (true/false) sets the publisher's own videoSimulcast property; left
         * undefined, the SDK follows joinRoom's videoSimulcast.
         */
        async publish({ audio = true, video = true, resolution = '320x240', frameRate = 15, simulcast, timeoutMs = 15_000 } = {}) {
            const session = requireSession();
            const init = await initPublisher(
                state.OV,
                {
                    audioSource: audio ? undefined : false,
                    videoSource: video ? undefined : false,
                    publishAudio: audio,
                    publishVideo: video,
                    resolution,
                    frameRate,
                    ...(simulcast === undefined ? {} : { videoSimulcast: simulcast })
                },
                timeoutMs,
                'OV.initPublisherAsync()'
            );
            if (!init.ok) return { ...init, stage: 'initPublisher' };
            state.publisher = init.value;
            wirePublisher(state.publisher);
            const pub = await settle(session.publish(state.publisher), timeoutMs, 'session.publish()');
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

        events() {
            return state.events;
        },

        /** session.disconnect() (sends leaveRoom; emits sessionDisconnected 'disconnect' locally). */
        leave() {
            if (!state.session) return false;
            state.session.disconnect();
            return true;
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
        },

        /** Harness self-check: a local publisher without any session. */
        async initLocalPublisher({ resolution = '320x240', frameRate = 15, timeoutMs = 15_000 } = {}) {
            const OV = state.OV || (state.OV = new window.OpenVidu());
            const init = await initPublisher(
                OV,
                { resolution, frameRate, publishAudio: true, publishVideo: true },
                timeoutMs,
                'OV.initPublisherAsync()'
            );
            if (!init.ok) return init;
            state.publisher = init.value;
            const mediaStream = state.publisher.stream.getMediaStream();
            const track = mediaStream.getVideoTracks()[0];
            return {
                ok: true,
                libraryVersion: OV.libraryVersion,
                audioTracks: mediaStream.getAudioTracks().length,
                videoSettings: track ? track.getSettings() : null
            };
        },

        /** State of the local publisher's <video> elements. */
        localVideo() {
            return Array.from(container('publisher').querySelectorAll('video')).map((v) => ({
                at: performance.timeOrigin + performance.now(),
                width: v.videoWidth,
                height: v.videoHeight,
                paused: v.paused,
                readyState: v.readyState,
                currentTime: v.currentTime,
                totalVideoFrames: v.getVideoPlaybackQuality().totalVideoFrames
            }));
        }
    });

    Object.assign(kit, { signalFields, wirePublisher });
})();
