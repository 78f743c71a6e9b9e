// Session: one connection to an OpenVidu session. connect() opens the WebSocket and
// sends joinRoom (protocol spec §3.2); the server's notifications (§4) become the
// Session's events; publish / subscribe / signal / moderation are the RPCs of §3.

import { Connection } from './connection.mjs';
import { Subscriber } from './subscriber.mjs';
import { handleNotification } from './notifications.mjs';
import { EventDispatcher, ConnectionEvent, RecordingEvent, SessionDisconnectedEvent, StreamEvent } from './events.mjs';
import { OpenViduError, OpenViduErrorName, notConnected, permissionError } from './errors.mjs';
import { VideoInsertMode } from './enums.mjs';

const SPEAKING = ['publisherStartSpeaking', 'publisherStopSpeaking'];

/** "Chrome 124.0.0.0 on Linux 64-bit"-like, for joinRoom's `platform` (shown by REST). */
function platformDescription() {
    const ua = navigator.userAgent;
    const m = /(Edg|OPR|Firefox|Chrome|Version)\/([\d.]+)/.exec(ua);
    const name = !m ? 'unknown' : m[1] === 'Edg' ? 'Microsoft Edge' : m[1] === 'OPR' ? 'Opera' : m[1] === 'Version' ? 'Safari' : m[1];
    const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /Mac OS X/.test(ua) ? 'OS X' : /Linux/.test(ua) ? 'Linux' : 'unknown';
    return m ? `${name} ${m[2]} on ${os}${/x86_64|Win64|x64/.test(ua) ? ' 64-bit' : ''}` : 'unknown';
}

export class Session extends EventDispatcher {
    /** @param {any} openvidu */
    constructor(openvidu) {
        super();
        this.openvidu = openvidu;
        /** @type {Connection} the local connection (set by connect()) */
        this.connection = /** @type {any} */ (undefined);
        this.sessionId = '';
        this.token = '';
        /** @type {any[]} Publishers and Subscribers showing video in this page */
        this.streamManagers = [];
        /** @type {{subscribe: boolean, publish: boolean, forceUnpublish: boolean, forceDisconnect: boolean}} */
        this.capabilities = { subscribe: true, publish: false, forceUnpublish: false, forceDisconnect: false };
        /** @type {Map<string, Connection>} */
        this.remoteConnections = new Map();
        /** @type {Map<string, boolean>} streams announced with streamCreated */
        this.remoteStreamsCreated = new Map();
        /** @type {any} */
        this.options = undefined;
        /** @type {any} */
        this.videoDataTimer = undefined;
    }

    /**
     * Joins with `token` (a ws:// or wss:// URL); `metadata` becomes the connection's
     * client data (objects are JSON-stringified). Resolves after the connectionCreated
     * and streamCreated events of everyone already there; rejects with the server's
     * JSON-RPC error object (e.g. {code: 401, ...}) as openvidu-browser does.
     * @param {string} token
     * @param {any} [metadata]
     */
    async connect(token, metadata) {
        const params = this.getTokenParams(token);
        const ov = this.openvidu;
        this.sessionId = params.sessionId;
        if (params.secret) ov.secret = params.secret;
        if (params.recorder) ov.recorder = true;
        if (params.stt) ov.stt = true;
        ov.wsUri = params.wsUri;
        ov.httpUri = params.httpUri;
        if (!ov.checkSystemRequirements()) {
            throw new OpenViduError(OpenViduErrorName.BROWSER_NOT_SUPPORTED, 'Browser ' + platformDescription() + ' is not supported in OpenVidu');
        }
        const meta = metadata === undefined || metadata === null || metadata === '' ? '' : typeof metadata === 'string' ? metadata : JSON.stringify(metadata);
        this.options = { sessionId: this.sessionId, participantId: token, metadata: meta };
        await ov.startWs(this);
        const r = await ov.rpc('joinRoom', {
            token,
            session: this.sessionId,
            platform: platformDescription(),
            sdkVersion: ov.libraryVersion,
            metadata: meta,
            secret: ov.secret,
            recorder: ov.recorder,
            stt: ov.stt
        });
        this.processJoinRoomResponse(r, token);
        this.connection = new Connection(this, r);
        /** @type {Connection[]} */
        const others = (r.value || []).map((/** @type {any} */ o) => new Connection(this, o));
        for (const c of others) {
            this.remoteConnections.set(c.connectionId, c);
            if (c.stream) this.remoteStreamsCreated.set(c.stream.streamId, true);
        }
        this.emitEvent('connectionCreated', [new ConnectionEvent(false, this, 'connectionCreated', this.connection, '')]);
        for (const c of others) this.emitEvent('connectionCreated', [new ConnectionEvent(false, this, 'connectionCreated', c, '')]);
        for (const c of others) if (c.stream) this.emitEvent('streamCreated', [new StreamEvent(false, this, 'streamCreated', c.stream, '')]);
        if (r.recordingId && r.recordingName) {
            this.emitEvent('recordingStarted', [new RecordingEvent(this, 'recordingStarted', r.recordingId, r.recordingName)]);
        }
    }

    /** @param {any} r the joinRoom result @param {string} token */
    processJoinRoomResponse(r, token) {
        const ov = this.openvidu;
        this.sessionId = r.session;
        if (Array.isArray(r.customIceServers) && r.customIceServers.length > 0) {
            ov.iceServers = r.customIceServers.map((/** @type {any} */ s) => {
                /** @type {RTCIceServer} */
                const server = { urls: [s.url] };
                if (s.username != null && s.credential != null) {
                    server.username = s.username;
                    server.credential = s.credential;
                }
                return server;
            });
        }
        ov.role = r.role;
        ov.finalUserId = r.finalUserId;
        ov.mediaServer = r.mediaServer;
        ov.videoSimulcast = r.videoSimulcast;
        if (r.life != null) ov.life = r.life;
        this.capabilities = {
            subscribe: true,
            publish: r.role !== 'SUBSCRIBER',
            forceUnpublish: r.role === 'MODERATOR',
            forceDisconnect: r.role === 'MODERATOR'
        };
        this.token = token;
    }

    /** Leaves the session (leaveRoom, then the socket closes); sessionDisconnected 'disconnect'. */
    disconnect() {
        this.leave(false, 'disconnect');
    }

    /**
     * Subscribes to a remote stream; its video goes into `targetElement` (if given).
     * @param {any} stream
     * @param {string | HTMLElement | undefined} targetElement
     * @param {any} [param3] SubscriberProperties or the completion handler
     * @param {(error?: any) => void} [param4] the completion handler
     * @returns {Subscriber}
     */
    subscribe(stream, targetElement, param3, param4) {
        const given = param3 && typeof param3 !== 'function' ? param3 : {};
        const properties = {
            insertMode: given.insertMode !== undefined ? given.insertMode : VideoInsertMode.APPEND,
            subscribeToAudio: given.subscribeToAudio !== undefined ? given.subscribeToAudio : true,
            subscribeToVideo: given.subscribeToVideo !== undefined ? given.subscribeToVideo : true
        };
        const done = typeof param3 === 'function' ? param3 : param4;
        if (!this.sessionConnected()) {
            if (done) done(notConnected());
            throw notConnected();
        }
        const subscriber = new Subscriber(stream, targetElement, properties);
        stream.subscribe().then(
            () => done && done(undefined),
            (/** @type {any} */ e) => done && done(e)
        );
        if (subscriber.targetElement) subscriber.createVideoElement(subscriber.targetElement, properties.insertMode);
        return subscriber;
    }

    /** @param {any} stream @param {string | HTMLElement | undefined} targetElement @param {any} [properties] @returns {Promise<Subscriber>} */
    subscribeAsync(stream, targetElement, properties) {
        return new Promise((resolve, reject) => {
            if (!this.sessionConnected()) return reject(notConnected());
            /** @type {Subscriber} */
            let sub;
            const cb = (/** @type {any} */ e) => (e ? reject(e) : resolve(sub));
            sub = properties ? this.subscribe(stream, targetElement, properties, cb) : this.subscribe(stream, targetElement, cb);
        });
    }

    /** @param {Subscriber} subscriber */
    async unsubscribe(subscriber) {
        if (!this.sessionConnected()) throw notConnected();
        const stream = subscriber.stream;
        await this.openvidu.rpc('unsubscribeFromVideo', { sender: stream.connection.connectionId });
        subscriber.removeAllVideos();
        stream.disposeWebRtcPeer();
        stream.disposeMediaStream();
    }

    /** @param {any} publisher */
    async publish(publisher) {
        if (!this.sessionConnected()) throw notConnected();
        publisher.session = this;
        publisher.stream.session = this;
        if (publisher.stream.publishedOnce) {
            await publisher.initialize();
            this.connection.addStream(publisher.stream);
            publisher.reestablishStreamPlayingEvent();
        } else {
            this.connection.addStream(publisher.stream);
        }
        await publisher.stream.publish();
        this.sendVideoData(publisher);
    }

    /** @param {any} publisher */
    async unpublish(publisher) {
        if (!this.sessionConnected()) throw notConnected();
        const stream = publisher.stream;
        if (!stream.connection) throw new Error('The associated Connection object of this Publisher is null');
        if (stream.connection !== this.connection) {
            throw new Error(
                'The associated Connection object of this Publisher is not your local Connection. ' +
                    "Only moderators can force unpublish on remote Streams via 'forceUnpublish' method"
            );
        }
        await this.openvidu.rpc('unpublishVideo', {});
        stream.disposeWebRtcPeer();
        if (stream.connection.stream === stream) stream.connection.removeStream();
        publisher.destroyed('unpublish');
    }

    /** @param {any} connection */
    async forceDisconnect(connection) {
        if (!this.sessionConnected()) throw notConnected();
        await this.openvidu.rpc('forceDisconnect', { connectionId: connection.connectionId }).catch((/** @type {any} */ e) => {
            throw permissionError(e, "You don't have permissions to force a disconnection");
        });
    }

    /** @param {any} stream */
    async forceUnpublish(stream) {
        if (!this.sessionConnected()) throw notConnected();
        await this.openvidu.rpc('forceUnpublish', { streamId: stream.streamId }).catch((/** @type {any} */ e) => {
            throw permissionError(e, "You don't have permissions to force an unpublishing");
        });
    }

    /** Sends a signal to `to` (Connections; everyone, us included, when empty). @param {{data?: string, to?: any[], type?: string}} signal */
    async signal(signal) {
        if (!this.sessionConnected()) throw notConnected();
        const to = (signal.to || []).map((c) => c.connectionId).filter(Boolean);
        let type = signal.type ? signal.type : 'signal';
        if (type.substring(0, 7) !== 'signal:') type = 'signal:' + type;
        await this.openvidu.rpc('sendMessage', { message: JSON.stringify({ to, data: signal.data ? signal.data : '', type }) });
    }

    /** @param {any} stream @param {string} lang */
    async subscribeToSpeechToText(stream, lang) {
        await this.openvidu.rpc('subscribeToSpeechToText', { connectionId: stream.connection.connectionId, lang });
    }

    /** @param {any} stream */
    async unsubscribeFromSpeechToText(stream) {
        await this.openvidu.rpc('unsubscribeFromSpeechToText', { connectionId: stream.connection.connectionId });
    }

    /** @param {string} type @param {(event: any) => void} handler @returns {this} */
    on(type, handler) {
        super.on(type, handler);
        if (SPEAKING.includes(type)) this.updateSpeaking();
        return this;
    }

    /** @param {string} type @param {(event: any) => void} handler @returns {this} */
    once(type, handler) {
        super.once(type, handler);
        if (SPEAKING.includes(type)) this.updateSpeaking();
        return this;
    }

    /** @param {string} type @param {(event: any) => void} [handler] @returns {this} */
    off(type, handler) {
        super.off(type, handler);
        if (SPEAKING.includes(type)) this.updateSpeaking();
        return this;
    }

    /** Starts or stops the speaking detectors of every stream as listeners come and go. */
    updateSpeaking() {
        if (this.connection && this.connection.stream) this.connection.stream.updateSpeaking();
        for (const c of this.remoteConnections.values()) if (c.stream) c.stream.updateSpeaking();
    }

    /** The local or a remote connection of that id. @param {string} id */
    findConnection(id) {
        return this.remoteConnections.get(id) || (this.connection && this.connection.connectionId === id ? this.connection : undefined);
    }

    /**
     * streamDestroyed of a remote stream; by default its peer connection, media and
     * videos go (an application may preventDefault() to keep the last frame).
     * @param {any} stream
     * @param {string} reason
     */
    streamDestroyed(stream, reason) {
        const event = new StreamEvent(true, this, 'streamDestroyed', stream, reason, () => {
            stream.disposeWebRtcPeer();
            stream.disposeMediaStream();
            if (stream.streamManager) stream.streamManager.removeAllVideos();
            this.remoteStreamsCreated.delete(stream.streamId);
        });
        this.emitEvent('streamDestroyed', [event]);
        event.callDefaultBehavior();
    }

    /** A notification from the server (notifications.mjs). @param {string} method @param {any} params */
    onNotification(method, params) {
        handleNotification(this, method, params);
    }

    /** @param {string} reason */
    onLostConnection(reason) {
        if (this.sessionId && this.connection && !this.connection.disposed) this.leave(true, reason);
    }

    /** After `connect` re-bound us: renegotiate broken media, then `reconnected`. */
    onRecoveredConnection() {
        this.reconnectBrokenStreams();
        this.emitEvent('reconnected', []);
    }

    reconnectBrokenStreams() {
        const own = this.connection.stream;
        if (own && own.streamIceConnectionStateBroken()) own.initWebRtcPeerSend(true).catch(() => {});
        for (const c of this.remoteConnections.values()) {
            if (c.stream && c.stream.streamIceConnectionStateBroken()) c.stream.initWebRtcPeerReceive(true).catch(() => {});
        }
    }

    /** @param {string} reason */
    stopPublisherStream(reason) {
        const stream = this.connection.stream;
        if (!stream) return;
        stream.disposeWebRtcPeer();
        if (stream.isLocalStreamPublished && stream.streamManager) stream.streamManager.destroyed(reason);
    }

    /**
     * Leaves: leaveRoom unless `forced` (evicted, or the network is gone), our
     * Publisher's streamDestroyed, then sessionDisconnected whose default behavior
     * closes every remote stream.
     * @param {boolean} forced
     * @param {string} reason
     */
    leave(forced, reason) {
        clearTimeout(this.videoDataTimer);
        const c = this.connection;
        if (!c) return;
        const ov = this.openvidu;
        if (!c.disposed && !forced) {
            ov.rpc('leaveRoom', {}).catch(() => {}).finally(() => ov.closeWs());
        } else {
            ov.closeWs();
        }
        this.stopPublisherStream(reason);
        if (c.disposed) return;
        const event = new SessionDisconnectedEvent(this, reason, () => {
            for (const rc of this.remoteConnections.values()) {
                const s = rc.stream;
                if (s) {
                    s.disposeWebRtcPeer();
                    s.disposeMediaStream();
                    if (s.streamManager) s.streamManager.removeAllVideos();
                    this.remoteStreamsCreated.delete(s.streamId);
                    rc.dispose();
                }
            }
            this.remoteConnections.clear();
        });
        c.disposed = true;
        this.emitEvent('sessionDisconnected', [event]);
        event.callDefaultBehavior();
    }

    /** `videoData` a few seconds after publishing or toggling (the server only stores it). @param {any} publisher */
    sendVideoData(publisher) {
        clearTimeout(this.videoDataTimer);
        this.videoDataTimer = setTimeout(() => {
            const s = publisher.stream;
            if (!this.sessionConnected() || !s.isLocalStreamPublished) return;
            const d = s.videoDimensions || { width: 0, height: 0 };
            this.openvidu
                .rpc('videoData', { height: d.height || 0, width: d.width || 0, videoActive: !!s.videoActive, audioActive: !!s.audioActive })
                .catch(() => {});
        }, 1000);
    }

    sessionConnected() {
        return this.connection != null;
    }

    /**
     * What openvidu-browser reads from a token: the WebSocket URL is always `/openvidu`
     * on the token's host and port; the query gives sessionId, secret, recorder, stt.
     * @param {string} token
     */
    getTokenParams(token) {
        const m = /^(wss?):\/\/(([^:/?#]*)(?::([0-9]+))?)([/]?[^?#]*)(\?[^#]*|)(#.*|)$/.exec(String(token));
        if (!m) throw new Error(`Token not valid: "${token}"`);
        /** @type {Record<string, string>} */
        const q = {};
        for (const pair of decodeURI(token.split('?')[1] || '').split('&')) {
            const [k, v] = pair.split('=');
            q[k] = v;
        }
        return {
            sessionId: q.sessionId,
            secret: q.secret,
            recorder: q.recorder,
            stt: q.stt,
            webrtcStatsInterval: q.webrtcStatsInterval,
            sendBrowserLogs: q.sendBrowserLogs,
            edition: q.edition,
            wsUri: m[1] + '://' + m[2] + '/openvidu',
            httpUri: 'https://' + m[2]
        };
    }
}
