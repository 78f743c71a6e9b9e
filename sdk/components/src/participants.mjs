// <ov-participants>: who is in the call, their microphone/camera state, the local name
// (editable: others learn it through nicknameChanged), and, when the local role is
// MODERATOR, force unpublish and force disconnect per remote participant. Shown while the
// room's panel is "participants", or always with `open`.

import { OvElement, shadow, sheet, esc, emit, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { ICONS } from './icons.mjs';

const STYLE = sheet(`
:host { display: flex; flex-direction: column; min-height: 0; background: var(--_panel-bg); color: var(--_panel-text);
  border-radius: var(--_panel-radius); }
h2 { font-size: 1.05em; margin: 10px 12px; }
ul { list-style: none; margin: 0; padding: 0 12px; overflow-y: auto; flex: 1; }
li { display: flex; align-items: center; gap: 6px; padding: 4px 0; }
.name { flex: 1; overflow: hidden; text-overflow: ellipsis; }
.state svg { width: 18px; height: 18px; }
.role { font-size: .75em; opacity: .7; }
form { display: flex; flex: 1; gap: 4px; }
form input { flex: 1; min-width: 0; }
li button { min-width: 36px; min-height: 36px; }
.panel { display: flex; flex-direction: column; flex: 1; min-height: 0; }
`);

export class OvParticipants extends OvElement {
    render() {
        const root = shadow(this, [BASE, STYLE], `<div part="panel participants-panel" role="region" class="panel"><h2></h2><ul part="list"></ul></div>`);
        root.addEventListener('click', (e) => {
            const b = /** @type {any} */ (e.target).closest?.('button[data-act]');
            const p = b && this.room?.participants.get(b.dataset.id);
            if (!p) return;
            const act = b.dataset.act;
            if (!emit(this, 'ov-moderation', { action: act, participant: p }, true)) return;
            if (act === 'unpublish') this.room.forceUnpublish(p);
            else this.room.forceDisconnect(p);
        });
        root.addEventListener('submit', (e) => {
            e.preventDefault();
            this.room?.setName($(root, 'form input').value);
        });
        this._sig = '';
    }

    shown() {
        return this.inCall && (this.hasAttribute('open') || this.room.panel === 'participants');
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        const room = this.room;
        this.hidden = !this.shown();
        // A closed panel renders when it opens (its signature then differs from the last one).
        if (!room || this.hidden) return;
        const people = [room.local, ...room.participants.values()].filter((p) => p && p.visible);
        const mod = room.isModerator;
        const state = (p) => {
            const c = p.camera;
            return `<span class="state" aria-label="${esc(c?.audioActive ? room.t('microphone') : room.t('muted'))}">${c?.audioActive ? ICONS.mic : ICONS.micOff}</span><span class="state" aria-label="${esc(c?.videoActive ? room.t('camera') : room.t('cameraOff'))}">${c?.videoActive ? ICONS.camera : ICONS.cameraOff}</span>`;
        };
        // Re-render only when something shown changed (keeps focus in the rename input).
        const sig = JSON.stringify([room.lang, mod, people.map((p) => [p.id, p.name, p.role, p.camera?.audioActive, p.camera?.videoActive, !!p.camera, !!p.screen])]);
        if (sig === this._sig) return;
        this._sig = sig;
        $(root, 'h2').textContent = room.t('participants');
        $(root, '[role=region]').setAttribute('aria-label', room.t('participants'));
        const focused = root.activeElement === $(root, 'form input');
        $(root, 'ul').innerHTML = people
            .map((p) => {
                const role = p.role === 'MODERATOR' ? `<span class="role">${esc(room.t('moderator'))}</span>` : '';
                if (p.local) {
                    return `<li part="item local-item"><form><input part="name-input" aria-label="${esc(room.t('rename'))}" value="${esc(p.name)}"></form>${role}${state(p)}</li>`;
                }
                const actions = mod
                    ? `<button data-act="unpublish" data-id="${esc(p.id)}" part="button unpublish-button" aria-label="${esc(room.t('unpublish') + ': ' + p.name)}" ${p.camera || p.screen ? '' : 'disabled'}>${ICONS.cameraOff}</button><button data-act="kick" data-id="${esc(p.id)}" part="button kick-button" aria-label="${esc(room.t('kick') + ': ' + p.name)}">${ICONS.kick}</button>`
                    : '';
                return `<li part="item"><span class="name" part="name">${esc(p.name)}</span>${role}${state(p)}${actions}</li>`;
            })
            .join('');
        if (focused) $(root, 'form input').focus();
    }
}
