// Speech detection on a MediaStream, as openvidu-browser does it with hark: every
// `interval` ms an AnalyserNode's loudest frequency bin (dB) is compared with
// `threshold`; speaking starts when the level is above it now and in 2 of the last 3
// samples, and stops when it is below it now and in all of the last 10 samples.
// Defaults are openvidu-browser's: {interval: 100, threshold: -50}.

/** @type {AudioContext | null} one for the page, as hark shares one */
let context = null;

/**
 * @typedef {object} SpeakingCallbacks
 * @property {() => void} start
 * @property {() => void} stop
 * @property {(level: number, threshold: number) => void} volume
 */

export class SpeakingDetector {
    /** @param {MediaStream} mediaStream @param {{interval?: number, threshold?: number}} options @param {SpeakingCallbacks} callbacks */
    constructor(mediaStream, options, callbacks) {
        this.interval = typeof options.interval === 'number' ? options.interval : 100;
        this.threshold = typeof options.threshold === 'number' ? options.threshold : -50;
        this.callbacks = callbacks;
        this.speaking = false;
        /** @type {number[]} 1 for a sample above the threshold */
        this.history = new Array(10).fill(0);
        this.running = true;
        /** @type {number | undefined} last level sent to `volume` */
        this.oldVolumeValue = undefined;
        const Ctx = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
        context = context || new Ctx();
        this.analyser = context.createAnalyser();
        this.analyser.fftSize = 512;
        this.analyser.smoothingTimeConstant = 0.1;
        this.bins = new Float32Array(this.analyser.frequencyBinCount);
        this.source = context.createMediaStreamSource(mediaStream);
        this.source.connect(this.analyser);
        this.tick();
    }

    /** @param {number} t */
    setThreshold(t) {
        this.threshold = t;
    }

    /** @param {number} i */
    setInterval(i) {
        this.interval = i;
    }

    /** The loudest bin in dB, skipping the 4 lowest (hum and DC). */
    level() {
        this.analyser.getFloatFrequencyData(this.bins);
        let max = -Infinity;
        for (let i = 4; i < this.bins.length; i++) {
            const v = this.bins[i];
            if (v > max && v < 0) max = v;
        }
        return max;
    }

    tick() {
        setTimeout(() => {
            if (!this.running) return;
            const level = this.level();
            this.callbacks.volume(level, this.threshold);
            const above = level > this.threshold;
            const h = this.history;
            if (above && !this.speaking && h[7] + h[8] + h[9] >= 2) {
                this.speaking = true;
                this.callbacks.start();
            } else if (level < this.threshold && this.speaking && h.every((x) => x === 0)) {
                this.speaking = false;
                this.callbacks.stop();
            }
            h.shift();
            h.push(above ? 1 : 0);
            this.tick();
        }, this.interval);
    }

    stop() {
        if (!this.running) return;
        this.running = false;
        if (this.speaking) {
            this.speaking = false;
            this.callbacks.stop();
        }
        this.source.disconnect();
        this.analyser.disconnect();
    }
}
