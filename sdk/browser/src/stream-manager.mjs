// StreamManager: what Publisher and Subscriber share — the stream, its <video> elements
// (createVideoElement / addVideoElement), and the events of those elements:
// videoElementCreated/Destroyed, streamPlaying (first `canplay`), and, for remote
// streams, the NO_STREAM_PLAYING_EVENT exception when nothing plays within 4 s.

import { Stream } from './stream.mjs';
import { EventDispatcher, ExceptionEvent, StreamManagerEvent, VideoElementEvent } from './events.mjs';
import { ExceptionEventName, VideoInsertMode } from './enums.mjs';

/** @typedef {{video: HTMLVideoElement, id: string, targetElement?: HTMLElement, insertMode?: string, canplayListenerAdded: boolean}} StreamManagerVideo */

/** @param {string | HTMLElement | undefined} target */
function resolveElement(target) {
    if (typeof target === 'string') return document.getElementById(target) || undefined;
    return target instanceof HTMLElement ? target : undefined;
}

export class StreamManager extends EventDispatcher {
    /** @param {Stream} stream @param {string | HTMLElement} [targetElement] */
    constructor(stream, targetElement) {
        super();
        this.stream = stream;
        stream.streamManager = this;
        this.remote = !stream.isLocal();
        /** @type {StreamManagerVideo[]} */
        this.videos = [];
        this.id = '';
        /** @type {HTMLElement | undefined} */
        this.targetElement = resolveElement(targetElement);
        /** @type {HTMLElement | undefined} */
        this.element = this.targetElement;
        /** @type {{targetElement: HTMLElement} | undefined} where the first video goes once media exists */
        this.firstVideoElement = this.targetElement ? { targetElement: this.targetElement } : undefined;
        /** @type {any} */
        this.noPlayingTimer = undefined;
        this.lazyVideoElementCreated = false;
        this.canPlayListener = () => {
            this.stopNoPlayingTimer();
            this.emitEvent('streamPlaying', [new StreamManagerEvent(this, 'streamPlaying', undefined)]);
        };
    }

    /** @param {string} type @param {(event: any) => void} handler @returns {this} */
    on(type, handler) {
        super.on(type, handler);
        this.afterListen(type, handler);
        return this;
    }

    /** @param {string} type @param {(event: any) => void} handler @returns {this} */
    once(type, handler) {
        super.once(type, handler);
        this.afterListen(type, handler);
        return this;
    }

    /** @param {string} type @param {(event: any) => void} [handler] @returns {this} */
    off(type, handler) {
        super.off(type, handler);
        this.stream.updateSpeaking();
        return this;
    }

    /**
     * Events that already happened are replayed to a late listener, as openvidu-browser does.
     * @param {string} type
     * @param {(event: any) => void} handler
     */
    afterListen(type, handler) {
        if (type === 'videoElementCreated' && this.lazyVideoElementCreated && this.videos[0]) {
            this.lazyVideoElementCreated = false;
            this.emitEvent('videoElementCreated', [new VideoElementEvent(this.videos[0].video, this, 'videoElementCreated')]);
        }
        if (type === 'streamPlaying') {
            const v = this.videos[0] && this.videos[0].video;
            if (v && v.currentTime > 0 && !v.paused && !v.ended && v.readyState === 4) {
                handler(new StreamManagerEvent(this, 'streamPlaying', undefined));
            }
        }
        this.stream.updateSpeaking();
    }

    /**
     * Shows this stream in an existing <video> (taken from another StreamManager if it
     * showed one). Returns 1, 0 (already this one's) or -1 (taken from another one).
     * @param {HTMLVideoElement} video
     */
    addVideoElement(video) {
        this.initializeVideoProperties(video);
        if (this.videos.some((v) => v.video === video)) return 0;
        let result = 1;
        for (const sm of this.stream.session.streamManagers) {
            if (sm.disassociateVideo(video)) result = -1;
        }
        this.pushNewStreamManagerVideo({ video, id: video.id, canplayListenerAdded: false });
        return result;
    }

    /**
     * A new <video> showing this stream, inserted relative to `targetElement`.
     * @param {string | HTMLElement} [targetElement]
     * @param {string} [insertMode] one of VideoInsertMode (default APPEND)
     */
    createVideoElement(targetElement, insertMode) {
        const target = resolveElement(targetElement);
        if (!target) throw new Error("The provided 'targetElement' couldn't be resolved to any HTML element: " + targetElement);
        const video = document.createElement('video');
        this.initializeVideoProperties(video);
        const mode = insertMode && /** @type {string[]} */ (Object.values(VideoInsertMode)).includes(insertMode) ? insertMode : VideoInsertMode.APPEND;
        const parent = /** @type {Node} */ (target.parentNode);
        if (mode === VideoInsertMode.AFTER) parent.insertBefore(video, target.nextSibling);
        else if (mode === VideoInsertMode.BEFORE) parent.insertBefore(video, target);
        else if (mode === VideoInsertMode.PREPEND) target.insertBefore(video, target.childNodes[0] || null);
        else if (mode === VideoInsertMode.REPLACE) parent.replaceChild(video, target);
        else target.appendChild(video);
        this.pushNewStreamManagerVideo({ targetElement: target, video, insertMode: mode, id: video.id, canplayListenerAdded: false });
        this.emitEvent('videoElementCreated', [new VideoElementEvent(video, this, 'videoElementCreated')]);
        this.lazyVideoElementCreated = !!this.firstVideoElement;
        return video;
    }

    /** Speaking-event options of this stream only (else setAdvancedConfiguration's). @param {{interval?: number, threshold?: number}} options */
    updatePublisherSpeakingEventsOptions(options) {
        const current = this.stream.harkOptions || this.stream.session.openvidu.advancedConfiguration.publisherSpeakingEventsOptions || {};
        const pick = (/** @type {'interval'|'threshold'} */ k, /** @type {number} */ d) =>
            typeof options[k] === 'number' ? options[k] : typeof current[k] === 'number' ? current[k] : d;
        const interval = pick('interval', 100);
        const threshold = pick('threshold', -50);
        this.stream.harkOptions = { interval, threshold };
        const det = this.stream.speechEvent;
        if (det) {
            det.setInterval(interval);
            det.setThreshold(threshold);
        }
    }

    /** srcObject, autoplay, id, muting and mirroring of a video of this stream. @param {HTMLVideoElement} video */
    initializeVideoProperties(video) {
        const ms = this.stream.getMediaStream();
        if (!(!this.remote && this.stream.displayMyRemote()) && video.srcObject !== ms) video.srcObject = ms || null;
        video.autoplay = true;
        video.controls = false;
        video.playsInline = true;
        if (!video.id) {
            video.id = (this.remote ? 'remote-' : 'local-') + 'video-' + this.stream.streamId;
            if (!this.id && this.targetElement) this.id = video.id;
        }
        const mirrored = video.style.transform === 'rotateY(180deg)';
        if (this.remote) {
            if (mirrored) video.style.transform = 'unset';
        } else if (!this.stream.displayMyRemote()) {
            video.muted = true;
            const props = this.stream.outboundStreamOpts.publisherProperties;
            if (mirrored && !props.mirror) video.style.transform = 'unset';
            else if (props.mirror && !this.stream.isSendScreen()) video.style.transform = 'rotateY(180deg)';
        }
    }

    /** Removes every video this SDK inserted and detaches the others. */
    removeAllVideos() {
        const list = this.stream.session.streamManagers;
        for (let i = list.length - 1; i >= 0; i--) if (list[i] === this) list.splice(i, 1);
        for (const v of this.videos) {
            v.video.removeEventListener('canplay', this.canPlayListener);
            v.canplayListenerAdded = false;
            if (v.targetElement) {
                if (v.video.parentNode) v.video.parentNode.removeChild(v.video);
                this.emitEvent('videoElementDestroyed', [new VideoElementEvent(v.video, this, 'videoElementDestroyed')]);
            }
            v.video.srcObject = null;
            this.videoDetached(v.video);
        }
        this.stopNoPlayingTimer();
        this.videos = this.videos.filter((v) => !v.targetElement);
    }

    /** @param {HTMLVideoElement} video @returns {boolean} whether this StreamManager showed it */
    disassociateVideo(video) {
        const i = this.videos.findIndex((v) => v.video === video);
        if (i < 0) return false;
        video.removeEventListener('canplay', this.canPlayListener);
        this.videos.splice(i, 1);
        this.videoDetached(video);
        return true;
    }

    addPlayEventToFirstVideo() {
        const first = this.videos[0];
        if (first && !first.canplayListenerAdded) {
            this.startNoPlayingTimer();
            first.video.addEventListener('canplay', this.canPlayListener);
            first.canplayListenerAdded = true;
        }
    }

    /** @param {MediaStream} mediaStream */
    updateMediaStream(mediaStream) {
        for (const v of this.videos) v.video.srcObject = mediaStream;
    }

    /** @param {StreamManagerVideo} v */
    pushNewStreamManagerVideo(v) {
        this.videos.push(v);
        this.videoAttached(v.video);
        this.addPlayEventToFirstVideo();
        const list = this.stream.session.streamManagers;
        if (!list.includes(this)) list.push(this);
    }

    startNoPlayingTimer() {
        if (!this.remote || this.noPlayingTimer) return;
        const ms = this.stream.session.openvidu.advancedConfiguration.noStreamPlayingEventExceptionTimeout || 4000;
        this.noPlayingTimer = setTimeout(() => {
            this.noPlayingTimer = undefined;
            const session = this.stream.session;
            const msg = `StreamManager of Stream ${this.stream.streamId} (Subscriber) did not trigger "streamPlaying" event in ${ms} ms`;
            session.emitEvent('exception', [new ExceptionEvent(session, ExceptionEventName.NO_STREAM_PLAYING_EVENT, this, msg)]);
        }, ms);
    }

    stopNoPlayingTimer() {
        clearTimeout(this.noPlayingTimer);
        this.noPlayingTimer = undefined;
    }

    /** Called by the stream when our publisher's stream is published (Publisher overrides). */
    published() {}

    /** Called by the stream when its subscription is (again) established (Subscriber overrides). */
    receiving() {}

    /** A <video> starts showing this stream (Subscriber overrides). @param {HTMLVideoElement} _video */
    videoAttached(_video) {}

    /** A <video> stops showing this stream (Subscriber overrides). @param {HTMLVideoElement} _video */
    videoDetached(_video) {}
}
