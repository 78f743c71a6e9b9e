// One RTCPeerConnection of a Stream (OpenVidu opens one per published stream and one per
// subscription). It hides the two ways an SDP exchange goes (the browser offers to
// publish, and to subscribe when mediaServer is not "mediasoup"; the server offers to
// subscribe otherwise) and queues remote ICE candidates until a remote description is set.

/**
 * @typedef {object} PeerOptions
 * @property {'sendonly' | 'recvonly' | 'sendrecv'} mode
 * @property {RTCIceServer[]} iceServers from joinRoom's customIceServers (never public STUN)
 * @property {RTCConfiguration} [rtcConfiguration] the application's own, if any
 * @property {MediaStream} [mediaStream] what a publisher sends
 * @property {{audio: boolean, video: boolean}} kinds what a subscriber receives
 * @property {boolean} [simulcast] send a publisher's video in layers (joinRoom's videoSimulcast)
 * @property {(c: RTCIceCandidate) => void} onIceCandidate
 * @property {(state: RTCIceConnectionState) => void} onIceState
 */

/**
 * The simulcast encodings of a video track, lowest first, as openvidu-browser 2.32 makes
 * them (so the server sees the same layers from either SDK): three from 960x540 up, two
 * from 480x270, else none. Layer `l` of `n` is `rdiv<d>`, d = 2^(n-l-1); a camera's
 * layers are scaled down by d, a screen's (content hint detail/text) keep its size and run
 * at 30/d frames per second.
 * @param {MediaStreamTrack} track
 * @returns {RTCRtpEncodingParameters[] | undefined}
 */
export function simulcastEncodings(track) {
    const { width = 0, height = 0 } = track.getSettings();
    const n = width >= 960 && height >= 540 ? 3 : width >= 480 && height >= 270 ? 2 : 1;
    if (n < 2) return undefined;
    const screen = ['detail', 'text'].includes(track.contentHint);
    const out = [];
    for (let l = 0; l < n; l++) {
        const d = 2 ** (n - l - 1);
        /** @type {RTCRtpEncodingParameters & {scalabilityMode?: string}} */
        const e = { rid: `rdiv${d}`, scalabilityMode: 'L1T1' };
        if (screen) {
            e.scaleResolutionDownBy = 1;
            e.maxFramerate = Math.floor(30 / d);
        } else {
            e.scaleResolutionDownBy = d;
        }
        out.push(e);
    }
    return out;
}

export class WebRtcPeer {
    /** @param {PeerOptions} options */
    constructor(options) {
        this.options = options;
        const config = { ...(options.rtcConfiguration || {}) };
        if (!config.iceServers) config.iceServers = options.iceServers;
        this.pc = new RTCPeerConnection(config);
        /** @type {RTCIceCandidateInit[]} remote candidates received before a remote description */
        this.early = [];
        /** @type {RTCIceCandidate[]} */
        this.localCandidates = [];
        /** @type {RTCIceCandidateInit[]} */
        this.remoteCandidates = [];
        this.pc.addEventListener('icecandidate', (e) => {
            if (!e.candidate) return;
            if (e.candidate.candidate) this.localCandidates.push(e.candidate);
            options.onIceCandidate(e.candidate);
        });
        this.pc.addEventListener('iceconnectionstatechange', () => options.onIceState(this.pc.iceConnectionState));
    }

    /**
     * The local offer, set as local description: send transceivers for every track of
     * the media stream (publisher), or receive-only ones for audio then video.
     * @returns {Promise<string>}
     */
    async offer() {
        const { mode, mediaStream, kinds } = this.options;
        if (mode !== 'recvonly' && mediaStream) {
            for (const track of mediaStream.getTracks()) {
                const sendEncodings = track.kind === 'video' && this.options.simulcast ? simulcastEncodings(track) : undefined;
                const init = sendEncodings ? { direction: mode, streams: [mediaStream], sendEncodings } : { direction: mode, streams: [mediaStream] };
                const tc = this.pc.addTransceiver(track, init);
                if (track.kind === 'video') {
                    // As openvidu-browser: keep a screen's resolution, balance a camera.
                    const params = tc.sender.getParameters();
                    if (!params.degradationPreference) {
                        params.degradationPreference = ['detail', 'text'].includes(track.contentHint) ? 'maintain-resolution' : 'balanced';
                        await tc.sender.setParameters(params).catch(() => {});
                    }
                }
            }
        } else {
            for (const kind of /** @type {('audio'|'video')[]} */ (['audio', 'video'])) {
                if (kinds[kind]) this.pc.addTransceiver(kind, { direction: 'recvonly' });
            }
        }
        const offer = await this.pc.createOffer();
        await this.pc.setLocalDescription(offer);
        return /** @type {string} */ (offer.sdp);
    }

    /**
     * The answer to a server's offer (subscriptions in "mediasoup" mode), set locally.
     * Fails when the offer lacks a kind the stream has, as openvidu-browser does.
     * @param {string} sdp
     * @returns {Promise<string>}
     */
    async answer(sdp) {
        await this.remote({ type: 'offer', sdp });
        for (const kind of /** @type {('audio'|'video')[]} */ (['audio', 'video'])) {
            if (!this.options.kinds[kind]) continue;
            const tc = this.pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
            if (!tc) throw new Error(`${kind} requested, but no transceiver was created from remote description`);
            tc.direction = 'recvonly';
        }
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        return /** @type {string} */ (answer.sdp);
    }

    /** Applies the server's answer. @param {string} sdp */
    async accept(sdp) {
        await this.remote({ type: 'answer', sdp });
    }

    /** @param {RTCSessionDescriptionInit} description */
    async remote(description) {
        if (this.pc.signalingState === 'closed') throw new Error('RTCPeerConnection is closed when trying to set remote description');
        await this.pc.setRemoteDescription(description);
        const early = this.early.splice(0);
        for (const c of early) await this.pc.addIceCandidate(c).catch(() => {});
    }

    /** A candidate from the server (it may come before its SDP). @param {RTCIceCandidateInit} candidate */
    async addIceCandidate(candidate) {
        this.remoteCandidates.push(candidate);
        if (this.pc.signalingState === 'closed') throw new Error('PeerConnection object is closed');
        if (this.pc.remoteDescription) await this.pc.addIceCandidate(candidate);
        else this.early.push(candidate);
    }

    dispose() {
        if (this.pc.signalingState !== 'closed') this.pc.close();
    }
}
