// Subscriber: a remote stream this page receives (Session.subscribe).

import { StreamManager } from './stream-manager.mjs';
import { Stream } from './stream.mjs';
import { VideoSizeReporter } from './video-size.mjs';

export class Subscriber extends StreamManager {
    /**
     * @param {Stream} stream
     * @param {string | HTMLElement | undefined} targetElement
     * @param {{insertMode?: string, subscribeToAudio?: boolean, subscribeToVideo?: boolean}} properties
     */
    constructor(stream, targetElement, properties) {
        super(stream, targetElement);
        this.properties = properties;
        const ov = stream.session.openvidu;
        /** @type {VideoSizeReporter | undefined} the size it is shown at, for the server's choice of simulcast layer */
        this.sizeReporter =
            ov.advancedConfiguration.adaptiveStream === false
                ? undefined
                : new VideoSizeReporter((size) => ov.rpc('updateSubscription', { sender: stream.streamId, ...size }));
    }

    receiving() {
        if (this.sizeReporter) this.sizeReporter.start();
    }

    /** @param {HTMLVideoElement} video */
    videoAttached(video) {
        if (this.sizeReporter) this.sizeReporter.watch(video);
    }

    /** @param {HTMLVideoElement} video */
    videoDetached(video) {
        if (this.sizeReporter) this.sizeReporter.unwatch(video);
    }

    /** Plays or mutes the received audio locally (nothing is sent to the server). @param {boolean} value */
    subscribeToAudio(value) {
        const ms = this.stream.getMediaStream();
        if (ms) ms.getAudioTracks().forEach((t) => (t.enabled = value));
        this.stream.audioActive = value;
        return this;
    }

    /** Shows or hides the received video locally. @param {boolean} value */
    subscribeToVideo(value) {
        const ms = this.stream.getMediaStream();
        if (ms) ms.getVideoTracks().forEach((t) => (t.enabled = value));
        this.stream.videoActive = value;
        if (this.sizeReporter) this.sizeReporter.setEnabled(value);
        return this;
    }

    /** @param {MediaStreamTrack} track */
    replaceTrackInMediaStream(track) {
        const ms = this.stream.getMediaStream();
        const old = track.kind === 'video' ? ms.getVideoTracks()[0] : ms.getAudioTracks()[0];
        if (old) {
            ms.removeTrack(old);
            old.stop();
        }
        ms.addTrack(track);
    }
}
