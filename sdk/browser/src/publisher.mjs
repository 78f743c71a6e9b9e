// Publisher: this page's camera, microphone, screen or custom tracks, before and after
// Session.publish(). Muting (publishAudio / publishVideo) and replaceTrack tell the
// others through `streamPropertyChanged` (protocol spec §3.9); the local media comes
// from devices.mjs; accessAllowed / accessDenied / accessDialogOpened / Closed report it.

import { StreamManager } from './stream-manager.mjs';
import { Stream } from './stream.mjs';
import { Session } from './session.mjs';
import { StreamEvent } from './events.mjs';
import { getMedia } from './devices.mjs';
import { TypeOfVideo } from './enums.mjs';

/** ms before accessDialogOpened: a prompt that takes longer is probably shown */
const DIALOG_MS = 2000;

export class Publisher extends StreamManager {
    /**
     * @param {string | HTMLElement | undefined} targetElement
     * @param {any} properties normalised PublisherProperties (OpenVidu.initPublisher)
     * @param {any} openvidu
     */
    constructor(targetElement, properties, openvidu) {
        super(new Stream(openvidu.session || new Session(openvidu), { publisherProperties: properties, mediaConstraints: {} }), targetElement);
        this.properties = properties;
        this.openvidu = openvidu;
        /** @type {any} set by Session.publish */
        this.session = undefined;
        this.accessAllowed = false;
        this.accessDenied = false;
        this.isSubscribedToRemote = false;
        /** @type {HTMLVideoElement | undefined} a hidden video that gives the dimensions */
        this.videoReference = undefined;
        /** @type {any} */
        this.screenShareResizeInterval = undefined;
    }

    /** @param {string} type @param {(event: any) => void} handler @returns {this} */
    on(type, handler) {
        super.on(type, handler);
        this.replay(type, handler);
        return this;
    }

    /** @param {string} type @param {(event: any) => void} handler @returns {this} */
    once(type, handler) {
        if (!this.replay(type, handler)) super.once(type, handler);
        return this;
    }

    /**
     * A listener of streamCreated / accessAllowed / accessDenied added after the fact
     * still hears it, as with openvidu-browser.
     * @param {string} type
     * @param {(event: any) => void} handler
     */
    replay(type, handler) {
        if (type === 'streamCreated' && this.stream.isLocalStreamPublished) handler(new StreamEvent(false, this, 'streamCreated', this.stream, ''));
        else if ((type === 'accessAllowed' && this.accessAllowed) || (type === 'accessDenied' && this.accessDenied)) handler(undefined);
        else return false;
        return true;
    }

    published() {
        this.emitEvent('streamCreated', [new StreamEvent(false, this, 'streamCreated', this.stream, '')]);
    }

    /** Mutes or unmutes the microphone (the track keeps sending silence). @param {boolean} enabled */
    publishAudio(enabled) {
        if (this.stream.audioActive === enabled) return;
        const ms = this.stream.getMediaStream();
        if (ms) ms.getAudioTracks().forEach((t) => (t.enabled = enabled));
        this.stream.audioActive = enabled;
        this.sendActive('audioActive', enabled, 'publishAudio');
    }

    /**
     * Turns the camera off or on. `resource` true with false stops the camera (its light
     * goes off); turning it on again gets a new track (or uses `resource` if a track).
     * @param {boolean} enabled
     * @param {boolean | MediaStreamTrack} [resource]
     */
    async publishVideo(enabled, resource) {
        if (this.stream.videoActive === enabled) return;
        const ms = this.stream.getMediaStream();
        let restart = false;
        ms.getVideoTracks().forEach((t) => {
            t.enabled = enabled;
            if (!enabled && resource === true) t.stop();
            else if (enabled && t.readyState === 'ended') restart = true;
        });
        if (restart) {
            const old = ms.getVideoTracks()[0];
            ms.removeTrack(old);
            const track =
                resource instanceof MediaStreamTrack
                    ? resource
                    : (await navigator.mediaDevices.getUserMedia({ audio: false, video: this.stream.lastVideoTrackConstraints })).getVideoTracks()[0];
            ms.addTrack(track);
            if (this.stream.isLocalStreamPublished) await this.replaceTrackInRtcRtpSender(track);
        }
        this.stream.videoActive = enabled;
        this.sendActive('videoActive', enabled, 'publishVideo');
    }

    /** @param {'audioActive' | 'videoActive'} property @param {boolean} enabled @param {string} reason */
    sendActive(property, enabled, reason) {
        if (!this.session || !this.stream.streamId) return;
        this.session.openvidu
            .rpc('streamPropertyChanged', { streamId: this.stream.streamId, property, newValue: enabled, reason })
            .then(() => {
                this.stream.propertyChanged(property, enabled, !enabled, reason);
                this.session.sendVideoData(this);
            })
            .catch(() => {});
    }

    /** Publisher.subscribeToRemote(): the server sends our own stream back (loopback). @param {boolean} [value] */
    subscribeToRemote(value = true) {
        this.isSubscribedToRemote = value;
    }

    /** Replaces the published video or audio track without renegotiating. @param {MediaStreamTrack} track */
    async replaceTrack(track) {
        const before = track.enabled;
        track.enabled = track.kind === 'video' ? this.stream.videoActive : this.stream.audioActive;
        try {
            if (this.stream.isLocalStreamPublished) await this.replaceTrackInRtcRtpSender(track);
            this.replaceTrackInMediaStream(track, true);
        } catch (e) {
            track.enabled = before;
            throw e;
        }
    }

    /** @param {MediaStreamTrack} track */
    async replaceTrackInRtcRtpSender(track) {
        const sender = this.stream
            .getRTCPeerConnection()
            .getSenders()
            .find((s) => s.track && s.track.kind === track.kind);
        if (!sender) throw new Error("There's no replaceable track for that kind of MediaStreamTrack in this Publisher object");
        await sender.replaceTrack(track);
    }

    /** @param {MediaStreamTrack} track @param {boolean} announce tell the others (trackReplaced) and check the dimensions */
    replaceTrackInMediaStream(track, announce) {
        const ms = this.stream.getMediaStream();
        const old = track.kind === 'video' ? ms.getVideoTracks()[0] : ms.getAudioTracks()[0];
        if (old) {
            old.enabled = false;
            old.stop();
            ms.removeTrack(old);
        }
        ms.addTrack(track);
        if (this.videoReference) this.videoReference.srcObject = ms;
        if (!announce) return;
        const labels = [{ label: (old && old.label) || '' }, { label: track.label || '' }];
        if (track.kind === 'video') {
            this.stream.lastVideoTrackConstraints = track.getConstraints();
            this.watchDimensions('trackReplaced', 50, 30);
            this.sendTrackChanged('videoTrack', labels[1], labels[0]);
        } else {
            this.sendTrackChanged('audioTrack', labels[1], labels[0]);
            this.stream.stopSpeaking();
            this.stream.updateSpeaking();
        }
    }

    /** @param {'videoTrack' | 'audioTrack'} property @param {{label: string}} newValue @param {{label: string}} oldValue */
    sendTrackChanged(property, newValue, oldValue) {
        this.announce(property, newValue, newValue, oldValue, 'trackReplaced');
    }

    /**
     * streamPropertyChanged to the server when published, then the local events.
     * @param {string} property
     * @param {any} wireValue
     * @param {any} newValue
     * @param {any} oldValue
     * @param {string} reason
     */
    announce(property, wireValue, newValue, oldValue, reason) {
        const local = () => this.stream.propertyChanged(property, newValue, oldValue, reason);
        if (!this.stream.isLocalStreamPublished || !this.session) return local();
        this.session.openvidu
            .rpc('streamPropertyChanged', { streamId: this.stream.streamId, property, newValue: wireValue, reason })
            .then(local)
            .catch(() => {});
    }

    /**
     * Polls the video dimensions every `every` ms (`times` times) and announces a change.
     * @param {string} reason
     * @param {number} every
     * @param {number} times
     */
    watchDimensions(reason, every, times) {
        const old = this.stream.videoDimensions || { width: 0, height: 0 };
        let n = 0;
        const timer = setInterval(async () => {
            if (++n > times) return clearInterval(timer);
            const d = await this.getVideoDimensions();
            if (d.width !== old.width || d.height !== old.height) {
                clearInterval(timer);
                this.dimensionsChanged(reason, old, d);
            }
        }, every);
    }

    /** @param {string} reason @param {{width: number, height: number}} old @param {{width: number, height: number}} d */
    dimensionsChanged(reason, old, d) {
        this.stream.videoDimensions = { width: d.width || 0, height: d.height || 0 };
        const dims = this.stream.videoDimensions;
        this.announce('videoDimensions', JSON.stringify(dims), dims, { width: old.width, height: old.height }, reason);
    }

    /** The video's width and height: the track's settings, else the hidden video's. */
    getVideoDimensions() {
        return new Promise((resolve) => {
            const video = /** @type {HTMLVideoElement} */ (this.videoReference);
            const read = () => {
                const track = this.stream.getMediaStream().getVideoTracks()[0];
                const s = track ? track.getSettings() : {};
                return { width: s.width || video.videoWidth, height: s.height || video.videoHeight };
            };
            const now = read();
            if (now.width && now.height) return resolve(now);
            const timer = setInterval(() => {
                const d = read();
                if (d.width && d.height) {
                    clearInterval(timer);
                    resolve(d);
                }
            }, 40);
        });
    }

    /** Gets the media and makes the Publisher's first video (Session.publish waits for it). */
    async initialize() {
        const stream = this.stream;
        stream.setOutboundStreamOptions({ mediaConstraints: {}, publisherProperties: this.properties });
        /** @type {any} */
        let dialog;
        let asked = 0;
        const closeDialog = () => {
            clearTimeout(dialog);
            if (asked && Date.now() - asked > DIALOG_MS) this.emitEvent('accessDialogClosed', []);
        };
        let ms;
        try {
            ms = await getMedia(this.properties, () => {
                asked = Date.now();
                dialog = setTimeout(() => this.emitEvent('accessDialogOpened', []), DIALOG_MS);
            });
        } catch (error) {
            closeDialog();
            this.accessDenied = true;
            this.accessAllowed = false;
            throw error;
        }
        closeDialog();
        this.accessAllowed = true;
        this.accessDenied = false;
        const audio = ms.getAudioTracks()[0];
        const video = ms.getVideoTracks()[0];
        if (audio) audio.enabled = stream.audioActive;
        if (video) {
            video.enabled = stream.videoActive;
            if (!video.contentHint) video.contentHint = stream.typeOfVideo === TypeOfVideo.SCREEN ? 'detail' : 'motion';
            if (!(this.properties.videoSource instanceof MediaStreamTrack)) stream.lastVideoTrackConstraints = video.getConstraints();
        }
        if (stream.isSendScreen() && !audio && stream.hasAudio) {
            // A screen without audio: the stream has none (as openvidu-browser decides).
            stream.audioActive = false;
            stream.hasAudio = false;
            this.properties.publishAudio = false;
            this.properties.audioSource = false;
        }
        this.initializeVideoReference(ms);
        if (!stream.isSendVideo()) return stream.readyToPublish();
        this.getVideoDimensions().then((d) => {
            stream.videoDimensions = { width: d.width, height: d.height };
            if (stream.isSendScreen()) this.watchScreenSize(ms);
            stream.readyToPublish();
        });
    }

    /** @param {MediaStream} ms */
    watchScreenSize(ms) {
        clearInterval(this.screenShareResizeInterval);
        this.screenShareResizeInterval = setInterval(() => {
            const track = ms.getVideoTracks()[0];
            if (!track) return;
            const { width, height } = track.getSettings();
            const d = this.stream.videoDimensions || { width: 0, height: 0 };
            if (this.stream.isLocalStreamPublished && ((width && width !== d.width) || (height && height !== d.height))) {
                this.dimensionsChanged('screenResized', d, { width: width || 0, height: height || 0 });
            }
        }, 650);
    }

    /** @param {MediaStream} ms */
    initializeVideoReference(ms) {
        const v = document.createElement('video');
        v.style.display = 'none';
        v.muted = true;
        v.autoplay = true;
        v.playsInline = true;
        this.videoReference = v;
        this.stream.setMediaStream(ms);
        if (this.firstVideoElement) this.createVideoElement(this.firstVideoElement.targetElement, this.properties.insertMode);
        else this.updateMediaStream(ms);
        v.srcObject = ms;
    }

    reestablishStreamPlayingEvent() {
        if (this.listenerCount('streamPlaying') > 0) this.addPlayEventToFirstVideo();
    }

    /**
     * Our stream ended (unpublished, forced out, or the session left): streamDestroyed on
     * this Publisher, whose default behavior stops the media and removes the videos.
     * @param {string} reason
     */
    destroyed(reason) {
        this.stream.isLocalStreamPublished = false;
        const event = new StreamEvent(true, this, 'streamDestroyed', this.stream, reason, () => {
            clearInterval(this.screenShareResizeInterval);
            this.stream.isLocalStreamReadyToPublish = false;
            const list = this.openvidu.publishers;
            const i = list.indexOf(this);
            if (i >= 0) list.splice(i, 1);
            this.stream.disposeMediaStream();
            this.removeAllVideos();
        });
        this.emitEvent('streamDestroyed', [event]);
        event.callDefaultBehavior();
    }
}
