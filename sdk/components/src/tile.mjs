// <ov-participant-tile>: one participant's camera or screen. Its state is reflected as
// attributes for CSS and tests (speaking, audio-muted, video-muted, local, source, pinned,
// quality). The video element is handed to the SDK's StreamManager.addVideoElement, which
// keeps it fed when the stream arrives or is replaced.

import { OvElement, shadow, sheet, reflect, emit, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { ICONS } from './icons.mjs';

const STYLE = sheet(`
:host { display: block; position: relative; min-width: 0; min-height: 0; }
.tile { position: relative; width: 100%; height: 100%; overflow: hidden; border-radius: var(--_video-radius);
  background: var(--_secondary); color: var(--_text); }
:host([speaking]) .tile { box-shadow: inset 0 0 0 3px var(--_tertiary); }
video { width: 100%; height: 100%; object-fit: cover; display: block; }
:host([source=screen]) video { object-fit: contain; }
.avatar { position: absolute; inset: 0; display: none; align-items: center; justify-content: center; font-size: 2.5em; }
:host([video-muted]) .avatar, :host(:not([has-video])) .avatar { display: flex; }
:host([video-muted]) video { visibility: hidden; }
.bar { position: absolute; left: 6px; bottom: 6px; display: flex; gap: 4px; align-items: center;
  background: #000a; border-radius: 4px; padding: 2px 6px; max-width: calc(100% - 60px); }
.name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.mic { display: none; color: var(--_warn); }
.mic svg { width: 16px; height: 16px; }
:host([audio-muted]) .mic { display: inline-flex; }
.quality { font-size: .8em; }
.pin { position: absolute; top: 6px; right: 6px; min-width: 36px; min-height: 36px; background: #000a; border-radius: 50%; opacity: .6; }
.pin:hover, .pin:focus-visible, :host([pinned]) .pin { opacity: 1; }
.pin[aria-pressed=false] { background: #000a; }
:host([hide-name]) .bar { display: none; }
`);

export class OvParticipantTile extends OvElement {
    static observedAttributes = ['source'];

    constructor() {
        super();
        /** @type {any} the room's Participant */
        this._participant = null;
        /** @type {any} */
        this._attached = null;
    }

    get participant() {
        return this._participant;
    }
    set participant(p) {
        this._participant = p;
        this.update();
    }

    /** 'camera' (default) or 'screen'. */
    get source() {
        return this.getAttribute('source') === 'screen' ? 'screen' : 'camera';
    }

    /** @param {string} _name @param {string|null} old @param {string|null} value */
    attributeChangedCallback(_name, old, value) {
        if (old !== value) this.update();
    }

    /** The tile's <video> (for tests and custom code). */
    get video() {
        return this.shadowRoot ? $(this.shadowRoot, 'video') : null;
    }

    render() {
        const root = shadow(
            this,
            [BASE, STYLE],
            `<div class="tile" part="tile" role="group">
<video part="video" autoplay playsinline></video>
<div class="avatar" part="avatar" aria-hidden="true"></div>
<div class="bar"><span class="mic" part="muted-icon">${ICONS.micOff}</span><span class="name" part="name"></span><span class="quality" part="quality"></span></div>
<button class="pin" part="pin-button" aria-pressed="false">${ICONS.pin}</button>
<slot name="tile-overlay"></slot></div>`
        );
        $(root, '.pin').addEventListener('click', () => {
            const key = this.key;
            if (!key) return;
            if (emit(this, 'ov-pin', { participant: this._participant, source: this.source }, true)) this.room?.pin(key);
        });
    }

    /** "participantId:source", the tile's identity in its room. */
    get key() {
        return this._participant ? this._participant.id + ':' + this.source : '';
    }

    update() {
        const root = this.shadowRoot;
        const p = this._participant;
        if (!root || !p) return;
        const media = p[this.source];
        const name = this.source === 'screen' ? this.t('screenOf', { name: p.name }) : p.local ? `${p.name} (${this.t('you')})` : p.name;
        $(root, '.name').textContent = name;
        $(root, '.tile').setAttribute('aria-label', name);
        $(root, '.avatar').textContent = (p.name || '?').trim().charAt(0).toUpperCase();
        const pin = $(root, '.pin');
        pin.setAttribute('aria-label', `${this.t('pin')}: ${name}`);
        pin.setAttribute('aria-pressed', String(this.room?.pinned === this.key));
        reflect(this, 'local', p.local);
        if (this.getAttribute('source') !== this.source) this.setAttribute('source', this.source);
        reflect(this, 'speaking', p.speaking && this.source === 'camera');
        reflect(this, 'audio-muted', !media || !media.audioActive || !media.stream?.hasAudio);
        reflect(this, 'video-muted', !!media && !media.videoActive);
        reflect(this, 'has-video', !!media?.stream?.hasVideo);
        reflect(this, 'pinned', this.room?.pinned === this.key);
        if (p.quality != null) {
            this.setAttribute('quality', String(p.quality));
            $(root, '.quality').textContent = '▮'.repeat(Math.max(0, Math.min(5, p.quality)));
            $(root, '.quality').title = this.t('quality', { value: p.quality });
        } else this.removeAttribute('quality');
        this._attach(media?.manager ?? null);
    }

    _attach(manager) {
        if (this._attached === manager) return;
        const video = this.video;
        this._attached = manager;
        if (!manager) {
            video.srcObject = null;
            return;
        }
        manager.addVideoElement(video);
        // Autoplay with sound may be refused before any user gesture: play muted rather than not at all.
        video.play?.().catch(() => {
            if (manager.remote === false) return;
            video.muted = true;
            video.play().catch(() => {});
            this.room?.fire('ov-autoplay-blocked', { video });
        });
    }

    /** Receives (or not) this tile's remote video: the grid turns it off for tiles off the page. */
    setVideoWanted(on) {
        const m = this._participant?.[this.source]?.manager;
        this._desired = on;
        if (!m || typeof m.subscribeToVideo !== 'function' || m.remote === false) return;
        if (this._wanted === on && this._wantedOn === m) return;
        // Before its media arrives a Subscriber has no MediaStream to switch: apply it then.
        if (!m.stream?.getMediaStream?.()) {
            if (this._waiting !== m) {
                this._waiting = m;
                m.once?.('streamPlaying', () => {
                    this._waiting = null;
                    this.setVideoWanted(this._desired);
                });
            }
            return;
        }
        this._wanted = on;
        this._wantedOn = m;
        m.subscribeToVideo(on);
    }
}

