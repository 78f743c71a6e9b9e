// <ov-prejoin>: the step before joining: camera preview, microphone level meter, device
// choice, camera/microphone toggles, the name, and Join. Shown while the room's phase is
// "prejoin". Join emits a cancelable `ov-join` {name}, then the room joins.

import { OvElement, shadow, sheet, emit, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { ICONS } from './icons.mjs';

const STYLE = sheet(`
:host { display: flex; justify-content: center; align-items: center; padding: 16px; color: var(--_panel-text); }
form { background: var(--_panel-bg); border-radius: var(--_panel-radius); padding: 16px; display: grid; gap: 12px;
  width: min(480px, 100%); }
.preview { position: relative; aspect-ratio: 4 / 3; background: var(--_secondary); border-radius: var(--_video-radius); overflow: hidden; }
video { width: 100%; height: 100%; object-fit: cover; }
.level { height: 6px; background: var(--_light); border-radius: 3px; overflow: hidden; }
.level > div { height: 100%; width: 0; background: var(--_tertiary); transition: width .1s; }
.row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.row ov-device-select { flex: 1; }
.join { background: var(--_tertiary); border-radius: var(--_leave-radius); font-weight: 600; }
label { display: grid; gap: 4px; }
`);

export class OvPrejoin extends OvElement {
    render() {
        const root = shadow(
            this,
            [BASE, STYLE],
            `<form part="panel prejoin-panel">
<div class="preview" part="preview"><video autoplay playsinline muted></video></div>
<div class="level" part="level" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div></div></div>
<div class="row"><button type="button" class="mic" part="button mic-button" aria-pressed="true"></button><button type="button" class="cam" part="button camera-button" aria-pressed="true"></button>
<ov-device-select kind="videoinput" exportparts="select: camera-select"></ov-device-select><ov-device-select kind="audioinput" exportparts="select: microphone-select"></ov-device-select></div>
<label><span class="name-label"></span><input part="name-input" name="name" autocomplete="nickname" required maxlength="60"></label>
<button type="submit" class="join" part="button join-button"></button></form>`
        );
        $(root, 'form').addEventListener('submit', (e) => {
            e.preventDefault();
            const name = $(root, 'input').value.trim();
            if (!this.room || !name) return;
            if (emit(this, 'ov-join', { name }, true)) this.room.join({ name });
        });
        $(root, '.mic').addEventListener('click', () => this.room?.toggleAudio());
        $(root, '.cam').addEventListener('click', () => this.room?.toggleVideo());
        this._named = false;
    }

    disconnectedCallback() {
        super.disconnectedCallback();
        this._stopMeter();
    }

    shown() {
        return this.room?.phase === 'prejoin' || !!this._wasShown;
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        const room = this.room;
        // Also while joining, but only for a room that went through the pre-join step.
        if (room?.phase === 'prejoin') this._wasShown = true;
        else if (room?.phase !== 'joining') this._wasShown = false;
        const show = !!this._wasShown;
        this.hidden = !show;
        if (!room) return;
        if (!show) {
            this._stopMeter();
            this._pub = null;
            return;
        }
        const input = $(root, 'input');
        if (!this._named) {
            input.value = room.choices.name;
            this._named = true;
        }
        $(root, '.name-label').textContent = room.t('yourName');
        const join = $(root, '.join');
        join.textContent = room.phase === 'joining' ? room.t('joining') : room.t('join');
        join.disabled = room.phase === 'joining';
        $(root, '.level').setAttribute('aria-label', room.t('micLevel'));
        $(root, 'video').setAttribute('aria-label', room.t('preview'));
        const mic = $(root, '.mic');
        const cam = $(root, '.cam');
        mic.setAttribute('aria-pressed', String(room.choices.audioOn));
        mic.setAttribute('aria-label', room.t('microphone'));
        mic.innerHTML = room.choices.audioOn ? ICONS.mic : ICONS.micOff;
        cam.setAttribute('aria-pressed', String(room.choices.videoOn));
        cam.setAttribute('aria-label', room.t('camera'));
        cam.innerHTML = room.choices.videoOn ? ICONS.camera : ICONS.cameraOff;
        const pub = room.publisher;
        if (pub && pub !== this._pub) {
            this._pub = pub;
            pub.addVideoElement($(root, 'video'));
            this._startMeter(pub);
        }
    }

    /** A level meter on the Publisher's microphone (Web Audio analyser, ~10 updates/s). */
    _startMeter(pub) {
        this._stopMeter();
        const track = pub.stream?.getMediaStream?.()?.getAudioTracks()[0];
        if (!track || typeof AudioContext === 'undefined') return;
        const ctx = new AudioContext();
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 256;
        ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
        const data = new Uint8Array(analyser.fftSize);
        const bar = $(this.shadowRoot, '.level');
        this._meter = { ctx, timer: setInterval(() => {
            if (ctx.state === 'suspended') ctx.resume().catch(() => {});
            analyser.getByteTimeDomainData(data);
            let peak = 0;
            for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
            const level = this.room?.choices.audioOn ? Math.min(100, Math.round((peak / 128) * 200)) : 0;
            bar.setAttribute('aria-valuenow', String(level));
            bar.firstElementChild.style.width = level + '%';
        }, 100) };
    }

    _stopMeter() {
        if (!this._meter) return;
        clearInterval(this._meter.timer);
        this._meter.ctx.close().catch(() => {});
        this._meter = null;
    }
}
