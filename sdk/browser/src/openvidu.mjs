// OpenVidu: the entry point (new OpenVidu()), as in openvidu-browser: sessions,
// publishers, devices, the advanced configuration, and the one JSON-RPC client of the
// current session with its WebSocket reconnection (protocol spec §6.4: on a new socket,
// `connect` with our RPC session id; refused → the session is lost).

import { Session } from './session.mjs';
import { Publisher } from './publisher.mjs';
import { RpcClient } from './rpc.mjs';
import { getDevices, getMedia, isScreenSource } from './devices.mjs';
import { SessionDisconnectedEvent } from './events.mjs';
import { LIBRARY_VERSION, VideoInsertMode } from './enums.mjs';

/**
 * @typedef {object} OpenViduAdvancedConfiguration
 * @property {RTCIceServer[] | 'freeice'} [iceServers] replaces the server's ICE servers ('freeice' = the server's)
 * @property {RTCConfiguration} [rtcConfiguration]
 * @property {boolean} [forceMediaReconnectionAfterNetworkDrop]
 * @property {number} [iceConnectionDisconnectedExceptionTimeout] ms (default 4000)
 * @property {number} [noStreamPlayingEventExceptionTimeout] ms (default 4000)
 * @property {{interval?: number, threshold?: number}} [publisherSpeakingEventsOptions]
 * @property {string} [screenShareChromeExtension] ignored (getDisplayMedia everywhere)
 * @property {boolean} [adaptiveStream] false: subscribers do not report how large they are
 *   shown, and receive the top simulcast layer their link carries (default: they report,
 *   and receive the layer that fills their video elements; openvidu-rs only)
 */

export class OpenVidu {
    constructor() {
        /** @type {Session} */
        this.session = /** @type {any} */ (undefined);
        /** @type {Publisher[]} */
        this.publishers = [];
        /** @type {OpenViduAdvancedConfiguration} */
        this.advancedConfiguration = {};
        /** @type {RTCIceServer[]} from joinRoom's customIceServers */
        this.iceServers = [];
        this.libraryVersion = LIBRARY_VERSION;
        this.wsUri = '';
        this.httpUri = '';
        this.secret = '';
        this.recorder = false;
        this.stt = false;
        this.role = '';
        this.finalUserId = '';
        /** @type {string} "mediasoup": the server offers subscriptions */
        this.mediaServer = '';
        this.videoSimulcast = false;
        this.life = -1;
        /** @type {RpcClient | undefined} */
        this.rpcClient = undefined;
    }

    initSession() {
        this.session = new Session(this);
        return this.session;
    }

    /**
     * A Publisher of local media; `properties` are openvidu-browser's PublisherProperties
     * (audioSource, videoSource ('screen' to share it), publishAudio, publishVideo,
     * resolution, frameRate, insertMode, mirror, ...). Emits accessAllowed / accessDenied.
     * @param {string | HTMLElement | undefined} targetElement
     * @param {any} [param2] the properties or the completion handler
     * @param {(error?: any) => void} [param3] the completion handler
     */
    initPublisher(targetElement, param2, param3) {
        const given = param2 && typeof param2 !== 'function' ? param2 : {};
        const track = typeof MediaStreamTrack !== 'undefined' && given.videoSource instanceof MediaStreamTrack;
        const properties = {
            audioSource: given.audioSource,
            frameRate: track ? undefined : given.frameRate,
            insertMode: given.insertMode !== undefined ? given.insertMode : VideoInsertMode.APPEND,
            mirror: given.mirror !== undefined ? given.mirror : true,
            publishAudio: given.publishAudio !== undefined ? given.publishAudio : true,
            publishVideo: given.publishVideo !== undefined ? given.publishVideo : true,
            resolution: track ? undefined : given.resolution !== undefined ? given.resolution : '640x480',
            videoSource: given.videoSource,
            videoSimulcast: given.videoSimulcast,
            filter: given.filter
        };
        const done = typeof param2 === 'function' ? param2 : param3;
        const publisher = new Publisher(targetElement, properties, this);
        publisher.initialize().then(
            () => {
                if (done) done(undefined);
                publisher.emitEvent('accessAllowed', []);
            },
            (error) => {
                if (done) done(error);
                publisher.emitEvent('accessDenied', [error]);
            }
        );
        this.publishers.push(publisher);
        return publisher;
    }

    /** @param {string | HTMLElement | undefined} targetElement @param {any} [properties] @returns {Promise<Publisher>} */
    initPublisherAsync(targetElement, properties) {
        return new Promise((resolve, reject) => {
            /** @type {Publisher} */
            let publisher;
            const cb = (/** @type {any} */ e) => (e ? reject(e) : resolve(publisher));
            publisher = properties ? this.initPublisher(targetElement, properties, cb) : this.initPublisher(targetElement, cb);
        });
    }

    /** WebRTC, getUserMedia and WebSocket are all there (every current browser). */
    checkSystemRequirements() {
        return typeof RTCPeerConnection !== 'undefined' && !!navigator.mediaDevices && typeof WebSocket !== 'undefined';
    }

    checkScreenSharingCapabilities() {
        return !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    }

    getDevices() {
        return getDevices();
    }

    /**
     * A MediaStream for the given PublisherProperties (e.g. to pass its tracks to
     * initPublisher as audioSource / videoSource).
     * @param {any} options
     */
    getUserMedia(options) {
        return getMedia(options || {});
    }

    /** The SDK never logs; kept for applications that call it. */
    enableProdMode() {}

    /** @param {OpenViduAdvancedConfiguration} configuration */
    setAdvancedConfiguration(configuration) {
        this.advancedConfiguration = configuration || {};
    }

    /** Opens the session's WebSocket (`wsUri?sessionId=…`) with its reconnection. @param {Session} session */
    startWs(session) {
        const client = new RpcClient(this.wsUri + '?sessionId=' + session.sessionId, {
            notification: (method, params) => session.onNotification(method, params),
            reconnecting: () => session.emitEvent('reconnecting', []),
            reopened: () => this.reconnected(client)
        });
        this.rpcClient = client;
        return client.open();
    }

    /**
     * A new socket is open: `connect` re-binds our participant within the server's grace
     * period; a refusal (40007 "reconnection error") means we were evicted meanwhile.
     * @param {RpcClient} client
     */
    reconnected(client) {
        const session = this.session;
        if (!session.connection) {
            const e = new SessionDisconnectedEvent(session, 'networkDisconnect');
            session.emitEvent('sessionDisconnected', [e]);
            return;
        }
        client.request('connect', { sessionId: session.connection.rpcSessionId, reconnect: true }, { direct: true }).then(
            () => {
                client.resume();
                session.onRecoveredConnection();
            },
            () => {
                client.close(4101, 'Reconnection fault: the user was already evicted');
                session.onLostConnection('networkDisconnect');
            }
        );
    }

    /**
     * A request on the session's socket; resolves its result, rejects with its error.
     * @param {string} method
     * @param {any} [params]
     * @param {{direct?: boolean, timeoutMs?: number}} [options]
     * @returns {Promise<any>}
     */
    rpc(method, params, options) {
        if (!this.rpcClient) return Promise.reject({ code: -1, message: 'not connected' });
        return this.rpcClient.request(method, params, options);
    }

    /**
     * openvidu-browser's callback form of rpc().
     * @param {string} method
     * @param {any} params
     * @param {(error: any, result?: any) => void} [callback]
     */
    sendRequest(method, params, callback) {
        if (typeof params === 'function') {
            callback = params;
            params = {};
        }
        const cb = callback;
        this.rpc(method, params).then(
            (r) => cb && cb(undefined, r),
            (e) => cb && cb(e)
        );
    }

    getWsReadyState() {
        return this.rpcClient ? this.rpcClient.readyState : 3;
    }

    /** @param {number} [code] @param {string} [reason] */
    closeWs(code = 4102, reason = 'Connection closed by client') {
        if (this.rpcClient) this.rpcClient.close(code, reason);
    }

    getWsUri() {
        return this.wsUri;
    }

    /** @param {any} v */
    isScreenShare(v) {
        return isScreenSource(v);
    }
}
