// A Stream: one published media stream, local (our Publisher's) or remote (announced by
// the server). It owns the RTCPeerConnection (peer.mjs), the SDP exchanges of
// publishing, subscribing and media reconnection (protocol spec §3.3, §3.5, §3.10), the
// ICE-state watchdog that repairs a broken connection, and the speaking detector.

import { WebRtcPeer } from './peer.mjs';
import { SpeakingDetector } from './speaking.mjs';
import { ExceptionEvent, PublisherSpeakingEvent, StreamManagerEvent, StreamPropertyChangedEvent } from './events.mjs';
import { OpenViduError, OpenViduErrorName, notConnected, permissionError } from './errors.mjs';
import { ExceptionEventName, TypeOfVideo } from './enums.mjs';

const SPEAKING_EVENTS = ['publisherStartSpeaking', 'publisherStopSpeaking'];

/** Resolves after `ms`. @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Stream {
    /**
     * @param {any} session the Session
     * @param {any} options a stream object of the server (has `id`) or
     *   `{publisherProperties, mediaConstraints}` for a local stream
     */
    constructor(session, options) {
        this.session = session;
        /** @type {any} */
        this.connection = undefined;
        /** @type {any} the Publisher or Subscriber */
        this.streamManager = undefined;
        this.streamId = '';
        this.creationTime = 0;
        this.hasAudio = false;
        this.hasVideo = false;
        this.audioActive = false;
        this.videoActive = false;
        /** @type {string | undefined} */
        this.typeOfVideo = undefined;
        /** @type {number | undefined} */
        this.frameRate = undefined;
        /** @type {{width: number, height: number} | undefined} */
        this.videoDimensions = undefined;
        /** @type {any} */
        this.filter = undefined;
        /** @type {WebRtcPeer | undefined} */
        this.webRtcPeer = undefined;
        /** @type {MediaStream | undefined} */
        this.mediaStream = undefined;
        this.isLocalStreamReadyToPublish = false;
        this.isLocalStreamPublished = false;
        this.publishedOnce = false;
        /** @type {{interval?: number, threshold?: number} | undefined} set by updatePublisherSpeakingEventsOptions */
        this.harkOptions = undefined;
        /** @type {SpeakingDetector | undefined} */
        this.speechEvent = undefined;
        /** @type {MediaTrackConstraints | boolean | undefined} */
        this.lastVideoTrackConstraints = undefined;
        /** @type {Promise<void> | undefined} the media reconnection under way */
        this.reconnection = undefined;
        /** @type {(() => void)[]} waiting for the local media (publish() before initPublisher settled) */
        this.readyWaiters = [];
        /** @type {any} */
        this.inboundStreamOpts = undefined;
        /** @type {any} */
        this.outboundStreamOpts = undefined;
        if (Object.prototype.hasOwnProperty.call(options, 'id')) {
            const o = (this.inboundStreamOpts = options);
            this.streamId = o.id;
            this.creationTime = o.createdAt;
            this.hasAudio = !!o.hasAudio;
            this.hasVideo = !!o.hasVideo;
            if (this.hasAudio) this.audioActive = !!o.audioActive;
            if (this.hasVideo) {
                this.videoActive = !!o.videoActive;
                this.typeOfVideo = o.typeOfVideo || undefined;
                this.frameRate = o.frameRate === -1 ? undefined : o.frameRate;
                this.videoDimensions = o.videoDimensions;
            }
            if (o.filter && Object.keys(o.filter).length > 0) this.filter = o.filter;
        } else {
            this.outboundStreamOpts = options;
            const p = options.publisherProperties;
            this.hasAudio = this.isSendAudio();
            this.hasVideo = this.isSendVideo();
            if (this.hasAudio) this.audioActive = !!p.publishAudio;
            if (this.hasVideo) {
                this.videoActive = !!p.publishVideo;
                this.frameRate = p.frameRate;
                this.typeOfVideo = p.videoSource instanceof MediaStreamTrack ? TypeOfVideo.CUSTOM : this.isSendScreen() ? TypeOfVideo.SCREEN : TypeOfVideo.CAMERA;
            }
            if (p.filter) this.filter = p.filter;
        }
    }

    /** The SDK's public media reconnection: a new RTCPeerConnection, renegotiated. */
    reconnect() {
        return this.reconnectStream('API');
    }

    getRTCPeerConnection() {
        return /** @type {RTCPeerConnection} */ (this.webRtcPeer && this.webRtcPeer.pc);
    }

    getMediaStream() {
        return /** @type {MediaStream} */ (this.mediaStream);
    }

    getWebRtcPeer() {
        return this.webRtcPeer;
    }

    /** @param {MediaStream} mediaStream */
    setMediaStream(mediaStream) {
        this.mediaStream = mediaStream;
    }

    isLocal() {
        return !this.inboundStreamOpts && !!this.outboundStreamOpts;
    }

    /** @param {string} name */
    sourceUsed(name) {
        const p = this.outboundStreamOpts && this.outboundStreamOpts.publisherProperties;
        return !!p && p[name] !== null && p[name] !== false;
    }

    isSendAudio() {
        return this.sourceUsed('audioSource');
    }

    isSendVideo() {
        return this.sourceUsed('videoSource');
    }

    isSendScreen() {
        if (!this.outboundStreamOpts) return false;
        const src = this.outboundStreamOpts.publisherProperties.videoSource;
        if (src instanceof MediaStreamTrack) {
            const surface = /** @type {any} */ (src.getSettings()).displaySurface;
            return ['monitor', 'window', 'browser'].includes(surface);
        }
        return src === 'screen';
    }

    /** Whether the Publisher loops its own stream back (Publisher.subscribeToRemote). */
    displayMyRemote() {
        return !!(this.streamManager && this.streamManager.isSubscribedToRemote);
    }

    /** @param {any} outboundStreamOpts */
    setOutboundStreamOptions(outboundStreamOpts) {
        this.outboundStreamOpts = outboundStreamOpts;
    }

    /** Called by the Publisher once its media is there: a waiting publish() goes on. */
    readyToPublish() {
        this.isLocalStreamReadyToPublish = true;
        for (const w of this.readyWaiters.splice(0)) w();
    }

    subscribe() {
        return this.initWebRtcPeerReceive(false);
    }

    async publish() {
        if (!this.isLocalStreamReadyToPublish) await new Promise((r) => this.readyWaiters.push(() => r(undefined)));
        return this.initWebRtcPeerSend(false);
    }

    disposeWebRtcPeer() {
        if (this.webRtcPeer) this.webRtcPeer.dispose();
    }

    disposeMediaStream() {
        if (this.mediaStream) {
            this.mediaStream.getTracks().forEach((t) => t.stop());
            this.mediaStream = undefined;
        }
        this.stopSpeaking();
    }

    /** @returns {RTCIceServer[]} the application's own, else the server's (never public STUN) */
    iceServers() {
        const ov = this.session.openvidu;
        const own = ov.advancedConfiguration.iceServers;
        return Array.isArray(own) ? own : ov.iceServers || [];
    }

    /**
     * Whether this local stream publishes in simulcast layers: the publisher's own
     * videoSimulcast, else joinRoom's; only with a "mediasoup" server, as openvidu-browser.
     */
    simulcast() {
        const ov = this.session.openvidu;
        const own = this.outboundStreamOpts && this.outboundStreamOpts.publisherProperties.videoSimulcast;
        return ov.mediaServer === 'mediasoup' && (own !== undefined ? !!own : !!ov.videoSimulcast);
    }

    /** A new WebRtcPeer for this stream (the old one closed). @param {'sendonly' | 'recvonly' | 'sendrecv'} mode */
    newPeer(mode) {
        this.disposeWebRtcPeer();
        const peer = new WebRtcPeer({
            mode,
            iceServers: this.iceServers(),
            rtcConfiguration: this.session.openvidu.advancedConfiguration.rtcConfiguration,
            mediaStream: mode === 'recvonly' ? undefined : this.mediaStream,
            kinds: { audio: this.hasAudio, video: this.hasVideo },
            simulcast: mode !== 'recvonly' && this.simulcast(),
            onIceCandidate: (c) => this.connection.sendIceCandidate(c),
            onIceState: (state) => {
                if (this.webRtcPeer === peer) this.onIceState(state);
            }
        });
        this.webRtcPeer = peer;
        return peer;
    }

    /** publishVideo (or reconnectStream for a reconnection): our offer, the server's answer. @param {boolean} reconnect */
    initWebRtcPeerSend(reconnect) {
        if (reconnect && this.reconnection) return this.reconnection;
        const run = async () => {
            const peer = this.newPeer(this.displayMyRemote() ? 'sendrecv' : 'sendonly');
            const sdp = await peer.offer();
            const ov = this.session.openvidu;
            let response;
            if (reconnect) {
                response = await ov.rpc('reconnectStream', { stream: this.streamId, sdpString: sdp });
            } else {
                /** @type {any} */
                const params = {
                    doLoopback: this.displayMyRemote(),
                    hasAudio: this.isSendAudio(),
                    hasVideo: this.isSendVideo(),
                    audioActive: this.audioActive,
                    videoActive: this.videoActive,
                    typeOfVideo: this.isSendVideo() ? this.typeOfVideo : undefined,
                    frameRate: this.frameRate ? this.frameRate : -1,
                    videoDimensions: JSON.stringify(this.videoDimensions),
                    filter: this.outboundStreamOpts.publisherProperties.filter,
                    sdpOffer: sdp
                };
                try {
                    response = await ov.rpc('publishVideo', params);
                } catch (error) {
                    const e = permissionError(error, "You don't have permissions to publish");
                    throw e === error ? 'Error on publishVideo: ' + JSON.stringify(error) : e;
                }
            }
            await peer.accept(response.sdpAnswer);
            this.streamId = response.id;
            this.creationTime = response.createdAt;
            this.isLocalStreamPublished = true;
            this.publishedOnce = true;
            if (this.displayMyRemote()) this.remotePeerSuccessfullyEstablished(reconnect);
            if (!reconnect) {
                this.streamManager.published();
                this.updateSpeaking();
            }
        };
        return this.track(reconnect, run());
    }

    /** Subscribes (or resubscribes): the server offers in "mediasoup" mode, we offer otherwise. @param {boolean} reconnect */
    initWebRtcPeerReceive(reconnect) {
        if (reconnect && this.reconnection) return this.reconnection;
        const run = async () => {
            const ov = this.session.openvidu;
            const peer = this.newPeer('recvonly');
            if (ov.mediaServer === 'mediasoup') {
                let offer;
                try {
                    offer = (await ov.rpc('prepareReceiveVideoFrom', { sender: this.streamId, reconnect })).sdpOffer;
                } catch (error) {
                    throw new Error('Error on prepareReceiveVideoFrom: ' + JSON.stringify(error));
                }
                const answer = await peer.answer(offer);
                const method = reconnect ? 'reconnectStream' : 'receiveVideoFrom';
                const params = reconnect
                    ? { stream: this.streamId, sdpString: answer, forciblyReconnect: false }
                    : { sender: this.streamId, sdpAnswer: answer };
                await ov.rpc(method, params).catch((/** @type {any} */ error) => {
                    throw new Error('Error on ' + method + ' : ' + JSON.stringify(error));
                });
            } else {
                const offer = await peer.offer();
                const method = reconnect ? 'reconnectStream' : 'receiveVideoFrom';
                const params = reconnect
                    ? { stream: this.streamId, sdpOffer: offer, forciblyReconnect: false }
                    : { sender: this.streamId, sdpOffer: offer };
                const response = await ov.rpc(method, params).catch((/** @type {any} */ error) => {
                    throw new Error('Error on ' + method + ' : ' + JSON.stringify(error));
                });
                await peer.accept(response.sdpAnswer);
            }
            this.remotePeerSuccessfullyEstablished(reconnect);
        };
        return this.track(reconnect, run());
    }

    /** Remembers a reconnection under way, so that concurrent ones share it. @param {boolean} reconnect @param {Promise<void>} promise */
    track(reconnect, promise) {
        if (!reconnect) return promise;
        const p = promise.finally(() => {
            if (this.reconnection === p) this.reconnection = undefined;
        });
        this.reconnection = p;
        return p;
    }

    /**
     * The received tracks become this stream's MediaStream; a subscriber that did not
     * want audio or video gets it disabled (after a reconnection: the stream's state).
     * @param {boolean} reconnect
     */
    remotePeerSuccessfullyEstablished(reconnect) {
        const peer = /** @type {WebRtcPeer} */ (this.webRtcPeer);
        if (reconnect && this.mediaStream && !this.isLocal()) this.disposeMediaStream();
        const ms = new MediaStream();
        for (const r of peer.pc.getReceivers()) if (r.track) ms.addTrack(r.track);
        const sm = this.streamManager;
        if (sm && sm.remote && sm.properties) {
            const audio = ms.getAudioTracks()[0];
            const video = ms.getVideoTracks()[0];
            if (audio) audio.enabled = reconnect ? this.audioActive : !!sm.properties.subscribeToAudio;
            if (video) video.enabled = reconnect ? this.videoActive : this.videoActive && !!sm.properties.subscribeToVideo;
        }
        if (this.isLocal()) {
            // The loopback of Publisher.subscribeToRemote(): shown instead of the local media.
            if (sm) sm.updateMediaStream(ms);
            return;
        }
        this.mediaStream = ms;
        if (sm) {
            sm.updateMediaStream(ms);
            sm.receiving();
        }
        this.updateSpeaking();
    }

    /** @param {RTCIceConnectionState} state */
    onIceState(state) {
        if (state === 'failed') {
            this.reconnectAfter(ExceptionEventName.ICE_CONNECTION_FAILED);
            this.exception(ExceptionEventName.ICE_CONNECTION_FAILED, `IceConnectionState of stream ${this.streamId} changed to "failed"`);
        } else if (state === 'disconnected') {
            const timeout = this.session.openvidu.advancedConfiguration.iceConnectionDisconnectedExceptionTimeout || 4000;
            this.awaitIceConnected(timeout).then((s) => {
                if (s !== 'connected' && s !== 'completed' && s !== 'failed') this.reconnectAfter(ExceptionEventName.ICE_CONNECTION_DISCONNECTED);
            });
            this.exception(
                ExceptionEventName.ICE_CONNECTION_DISCONNECTED,
                `IceConnectionState of stream ${this.streamId} changed to "disconnected". Possible network disconnection`
            );
        }
    }

    /** @param {string} name @param {string} message */
    exception(name, message) {
        this.session.emitEvent('exception', [new ExceptionEvent(this.session, name, this, message)]);
    }

    /** @param {string} why */
    reconnectAfter(why) {
        this.reconnectStream(why).catch(() => {});
    }

    /** Polls the ICE state every 150 ms until connected or `timeout` ms passed. @param {number} timeout @returns {Promise<RTCIceConnectionState>} */
    async awaitIceConnected(timeout) {
        const pc = this.getRTCPeerConnection();
        for (let waited = 0; ; waited += 150) {
            const s = pc.iceConnectionState;
            if (s === 'connected' || s === 'completed' || waited >= timeout) return s;
            await sleep(150);
        }
    }

    /** A new peer connection for this stream, if the WebSocket answers an `echo` in 3 s. @param {string} why */
    async reconnectStream(why) {
        const ov = this.session.openvidu;
        if (!this.session.sessionConnected()) throw notConnected();
        let wsOk = ov.getWsReadyState() === 1;
        if (wsOk) wsOk = await ov.rpc('echo', {}, { timeoutMs: 3000 }).then(() => true, () => false);
        if (!wsOk) throw new Error(`[${why}] Trying to reconnect stream ${this.streamId} but the websocket wasn't opened`);
        return this.isLocal() ? this.initWebRtcPeerSend(true) : this.initWebRtcPeerReceive(true);
    }

    /** After a signalling reconnection: does this stream's media need renegotiating? */
    streamIceConnectionStateBroken() {
        const pc = this.getRTCPeerConnection();
        if (!pc) return false;
        if (this.session.openvidu.advancedConfiguration.forceMediaReconnectionAfterNetworkDrop) return true;
        return pc.iceConnectionState !== 'connected' && pc.iceConnectionState !== 'completed';
    }

    /**
     * Runs the speaking detector while someone listens to speaking or volume events of
     * this stream (on the Session or its StreamManager) and it has audio; stops it otherwise.
     */
    updateSpeaking() {
        const sm = this.streamManager;
        const count = (/** @type {string} */ t) => (this.session ? this.session.listenerCount(t) : 0) + (sm ? sm.listenerCount(t) : 0);
        const wanted =
            (SPEAKING_EVENTS.some((t) => count(t) > 0) || (sm && sm.listenerCount('streamAudioVolumeChange') > 0)) &&
            !!this.mediaStream &&
            this.mediaStream.getAudioTracks().length > 0 &&
            (!this.isLocal() || this.isLocalStreamPublished || (sm && sm.listenerCount('streamAudioVolumeChange') > 0));
        if (!wanted) return this.stopSpeaking();
        if (this.speechEvent) return;
        const options = this.harkOptions || this.session.openvidu.advancedConfiguration.publisherSpeakingEventsOptions || {};
        const emit = (/** @type {string} */ type) => {
            this.session.emitEvent(type, [new PublisherSpeakingEvent(this.session, type, this.connection, this.streamId)]);
            if (sm) sm.emitEvent(type, [new PublisherSpeakingEvent(sm, type, this.connection, this.streamId)]);
        };
        const detector = new SpeakingDetector(/** @type {MediaStream} */ (this.mediaStream), options, {
            start: () => emit('publisherStartSpeaking'),
            stop: () => emit('publisherStopSpeaking'),
            volume: (level) => {
                if (!sm || sm.listenerCount('streamAudioVolumeChange') === 0) return;
                const value = { newValue: level, oldValue: detector.oldVolumeValue };
                detector.oldVolumeValue = level;
                sm.emitEvent('streamAudioVolumeChange', [new StreamManagerEvent(sm, 'streamAudioVolumeChange', value)]);
            }
        });
        this.speechEvent = detector;
    }

    stopSpeaking() {
        if (this.speechEvent) this.speechEvent.stop();
        this.speechEvent = undefined;
    }

    /** A server-side filter (Kurento only; openvidu-rs refuses it). @param {string} type @param {object} options */
    async applyFilter(type, options) {
        if (this.filter) throw new OpenViduError(OpenViduErrorName.GENERIC_ERROR, 'There is already a filter applied to Stream ' + this.streamId);
        if (!this.session.sessionConnected()) throw notConnected();
        const opts = typeof options === 'string' ? options : JSON.stringify(options || {});
        await this.session.openvidu.rpc('applyFilter', { streamId: this.streamId, type, options: opts }).catch((/** @type {any} */ e) => {
            throw permissionError(e, "You don't have permissions to apply a filter");
        });
        const old = this.filter;
        this.filter = { type, options, stream: this };
        this.propertyChanged('filter', this.filter, old, 'applyFilter');
        return this.filter;
    }

    async removeFilter() {
        if (!this.filter) throw new OpenViduError(OpenViduErrorName.GENERIC_ERROR, 'Stream ' + this.streamId + ' has no filter applied');
        if (!this.session.sessionConnected()) throw notConnected();
        await this.session.openvidu.rpc('removeFilter', { streamId: this.streamId }).catch((/** @type {any} */ e) => {
            throw permissionError(e, "You don't have permissions to remove a filter");
        });
        const old = this.filter;
        this.filter = undefined;
        this.propertyChanged('filter', undefined, old, 'applyFilter');
    }

    /**
     * Emits streamPropertyChanged on the Session and on this stream's StreamManager.
     * @param {string} property
     * @param {any} newValue
     * @param {any} oldValue
     * @param {string} reason
     */
    propertyChanged(property, newValue, oldValue, reason) {
        this.session.emitEvent('streamPropertyChanged', [new StreamPropertyChangedEvent(this.session, this, property, newValue, oldValue, reason)]);
        const sm = this.streamManager;
        if (sm) sm.emitEvent('streamPropertyChanged', [new StreamPropertyChangedEvent(sm, this, property, newValue, oldValue, reason)]);
    }
}
