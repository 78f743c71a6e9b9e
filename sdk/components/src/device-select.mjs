// <ov-device-select kind="videoinput|audioinput">: a native <select> of the cameras or
// microphones; a choice replaces the Publisher's track (replaceTrack), before or during
// the call, and is remembered (localStorage, as the official components do).

import { OvElement, shadow, sheet, esc, emit, $ } from './dom.mjs';
import { BASE } from './theme.mjs';

const STYLE = sheet(`:host { display: inline-flex; flex-direction: column; gap: 4px; } select { max-width: 100%; }`);

export class OvDeviceSelect extends OvElement {
    static observedAttributes = ['kind'];

    get kind() {
        return this.getAttribute('kind') === 'audioinput' ? 'audioinput' : 'videoinput';
    }

    attributeChangedCallback() {
        this._refresh();
    }

    render() {
        const root = shadow(this, [BASE, STYLE], `<label part="label"><span class="label"></span></label><select part="select"></select>`);
        const select = $(root, 'select');
        select.id = 's';
        $(root, 'select').addEventListener('change', () => {
            const deviceId = select.value;
            if (emit(this, 'ov-device-change', { kind: this.kind, deviceId }, true)) this.room?.selectDevice(this.kind, deviceId);
        });
        this._onDevices = () => this._refresh();
        navigator.mediaDevices?.addEventListener?.('devicechange', this._onDevices);
    }

    disconnectedCallback() {
        super.disconnectedCallback();
        navigator.mediaDevices?.removeEventListener?.('devicechange', this._onDevices);
    }

    /** Rendered once the panel holding it (if any) opens. */
    shown() {
        const holder = /** @type {HTMLElement | null} */ (this.closest('ov-panel, ov-prejoin'));
        return !holder?.hidden;
    }

    /** Current device of the Publisher's track of this kind. */
    _current() {
        const ms = this.room?.publisher?.stream?.getMediaStream?.();
        const track = this.kind === 'videoinput' ? ms?.getVideoTracks()[0] : ms?.getAudioTracks()[0];
        return track?.getSettings?.().deviceId ?? '';
    }

    async _refresh() {
        const root = this.shadowRoot;
        if (!root || !navigator.mediaDevices) return;
        const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === this.kind);
        const select = $(root, 'select');
        const current = this._current() || select.value;
        select.innerHTML = devices.length
            ? devices.map((d, i) => `<option value="${esc(d.deviceId)}">${esc(d.label || `${this.t(this.kind === 'videoinput' ? 'camera' : 'microphone')} ${i + 1}`)}</option>`).join('')
            : `<option value="">${esc(this.t('noDevices'))}</option>`;
        select.disabled = devices.length === 0;
        if (devices.some((d) => d.deviceId === current)) select.value = current;
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        const label = this.t(this.kind === 'videoinput' ? 'camera' : 'microphone');
        $(root, '.label').textContent = label;
        $(root, 'select').setAttribute('aria-label', label);
        // Labels appear once a device was granted: list the devices again for a new
        // Publisher, but only while the panel holding this select is open (<openvidu-call>'s
        // settings panel mostly is not).
        const pub = this.room?.publisher ?? null;
        if (pub !== this._pub && this.shown()) {
            this._pub = pub;
            this._refresh();
        }
    }
}
