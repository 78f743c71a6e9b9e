// VideoSizeReporter: tells the server (`updateSubscription`, openvidu-rs only) the
// largest on-screen size of a subscription's <video>s in device pixels, 0x0 when none is
// visible, so that it forwards the simulcast layer that fills them. See README.md.

/** Wait for the size to settle: resizes and layout animations fire often. */
const SETTLE_MS = 250;
/** The JSON-RPC code of an unknown method. */
const METHOD_NOT_FOUND = -32601;

/** @typedef {{width: number, height: number}} VideoSize */

export class VideoSizeReporter {
    /** @param {(size: VideoSize) => Promise<unknown>} send */
    constructor(send) {
        this.send = send;
        /** @type {Map<HTMLVideoElement, boolean>} each watched element and whether it intersects the viewport */
        this.videos = new Map();
        this.enabled = true;
        this.started = false;
        this.stopped = false;
        this.last = '';
        /** @type {any} */
        this.timer = undefined;
        this.resizes = new ResizeObserver(() => this.schedule());
        this.intersections = new IntersectionObserver((entries) => {
            for (const e of entries) if (this.videos.has(/** @type {HTMLVideoElement} */ (e.target))) this.videos.set(/** @type {HTMLVideoElement} */ (e.target), e.isIntersecting);
            this.schedule();
        });
        this.onVisibility = () => this.schedule();
    }

    /** @param {HTMLVideoElement} video */
    watch(video) {
        if (this.stopped || this.videos.has(video)) return;
        if (this.videos.size === 0) document.addEventListener('visibilitychange', this.onVisibility);
        this.videos.set(video, true);
        this.resizes.observe(video);
        this.intersections.observe(video);
        this.schedule();
    }

    /** @param {HTMLVideoElement} video */
    unwatch(video) {
        if (!this.videos.delete(video)) return;
        if (this.videos.size === 0) document.removeEventListener('visibilitychange', this.onVisibility);
        this.resizes.unobserve(video);
        this.intersections.unobserve(video);
        this.schedule();
    }

    /** The subscription is (again) established: report the current size, even if unchanged. */
    start() {
        this.started = true;
        this.last = '';
        this.schedule();
    }

    /** Video shown or switched off locally (subscribeToVideo). @param {boolean} enabled */
    setEnabled(enabled) {
        this.enabled = enabled;
        this.schedule();
    }

    /** @returns {VideoSize} */
    size() {
        let width = 0;
        let height = 0;
        if (!this.enabled || document.visibilityState === 'hidden') return { width, height };
        const ratio = window.devicePixelRatio || 1;
        for (const [video, intersecting] of this.videos) {
            if (!intersecting || !video.isConnected) continue;
            const box = video.getBoundingClientRect();
            width = Math.max(width, Math.round(box.width * ratio));
            height = Math.max(height, Math.round(box.height * ratio));
        }
        return { width, height };
    }

    schedule() {
        if (this.stopped) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.report(), SETTLE_MS);
    }

    report() {
        if (!this.started || this.stopped || this.videos.size === 0) return;
        const size = this.size();
        const key = size.width + 'x' + size.height;
        if (key === this.last) return;
        this.last = key;
        this.send(size).catch((/** @type {any} */ error) => {
            if (error && error.code === METHOD_NOT_FOUND) this.stop();
            else this.last = '';
        });
    }

    stop() {
        this.stopped = true;
        clearTimeout(this.timer);
        this.resizes.disconnect();
        this.intersections.disconnect();
        this.videos.clear();
        document.removeEventListener('visibilitychange', this.onVisibility);
    }
}
