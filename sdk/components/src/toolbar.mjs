// <ov-toolbar>: the call's buttons, chosen and ordered by `buttons` (default
// "mic camera screen chat participants fullscreen leave"). Toggles say their state with
// aria-pressed; every button is a ::part (`button` plus `<name>-button`). Each click emits
// a cancelable `ov-toolbar-click` {button} first; unless cancelled the room acts.
// Slots: toolbar-start, toolbar-end. `session-name` shows the session id, `logo` a logo.

import { OvElement, shadow, sheet, emit, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { ICONS } from './icons.mjs';

const STYLE = sheet(`
:host { display: flex; align-items: center; gap: 8px; padding: 8px; background: var(--_primary); color: var(--_text); flex-wrap: wrap; }
.center { flex: 1; display: flex; justify-content: center; gap: 8px; flex-wrap: wrap; }
.title { display: flex; align-items: center; gap: 6px; font-weight: 600; }
.title[hidden], :host(:not([logo])) .logo { display: none; }
.logo { display: inline-flex; }
[data-b=leave] { background: var(--_warn); border-radius: var(--_leave-radius); }
[data-b=screen][aria-pressed=true], [data-b=chat][aria-pressed=true], [data-b=participants][aria-pressed=true], [data-b=settings][aria-pressed=true] { background: var(--_tertiary); }
[data-b=screen][aria-pressed=false], [data-b=chat][aria-pressed=false], [data-b=participants][aria-pressed=false], [data-b=settings][aria-pressed=false], [data-b=fullscreen] { background: var(--_secondary); }
.badge { background: var(--_accent); color: #000; border-radius: 9px; padding: 0 6px; font-size: .75em; }
.badge:empty { display: none; }
`);

export const DEFAULT_BUTTONS = 'mic camera screen chat participants fullscreen leave';

const LABEL = { settings: 'settings', mic: 'microphone', camera: 'camera', screen: 'screen', chat: 'chat', participants: 'participants', fullscreen: 'fullscreen', leave: 'leave' };
const TOGGLE = new Set(['mic', 'camera', 'screen', 'chat', 'participants', 'settings']);

export class OvToolbar extends OvElement {
    static observedAttributes = ['buttons', 'lang'];

    attributeChangedCallback() {
        if (this.shadowRoot) this._build();
    }

    render() {
        const root = shadow(
            this,
            [BASE, STYLE],
            `<slot name="toolbar-start"></slot><span class="title" part="title"><span class="logo">${ICONS.logo}</span><span class="name"></span></span>
<div class="center" role="toolbar"></div><slot name="toolbar-end"></slot>`
        );
        $(root, '.center').addEventListener('click', (e) => {
            const b = e.target.closest?.('button[data-b]');
            if (b) this.press(b.dataset.b);
        });
        this._build();
    }

    /** The buttons shown: `buttons` minus those the room cannot offer (screen without a second token). */
    get buttons() {
        return (this.getAttribute('buttons') || DEFAULT_BUTTONS).split(/[\s,]+/).filter((b) => LABEL[b]);
    }

    _build() {
        const center = $(this.shadowRoot, '.center');
        center.innerHTML = this.buttons
            .map((b) => `<button type="button" data-b="${b}" data-icon="${b}" part="button ${b}-button"${TOGGLE.has(b) ? ' aria-pressed="false"' : ''}>${ICONS[b === 'mic' ? 'mic' : b]}${b === 'chat' ? '<span class="badge"></span>' : ''}</button>`)
            .join('');
        this.update();
    }

    /** What a click on button `name` does (also for keyboard: buttons are native). */
    press(name) {
        if (!emit(this, 'ov-toolbar-click', { button: name }, true)) return;
        const room = this.room;
        if (!room) return;
        ({
            mic: () => room.toggleAudio(),
            camera: () => room.toggleVideo(),
            screen: () => room.toggleScreen(),
            chat: () => room.togglePanel('chat'),
            participants: () => room.togglePanel('participants'),
            settings: () => room.togglePanel('settings'),
            fullscreen: () => room.toggleFullscreen(),
            leave: () => room.leave()
        })[name]?.();
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        this.hidden = !this.inCall;
        const room = this.room;
        if (!room) return;
        const title = $(root, '.title');
        title.hidden = !this.hasAttribute('session-name') && !this.hasAttribute('logo');
        $(root, '.name').textContent = this.hasAttribute('session-name') ? room.sessionName : '';
        const pressed = {
            mic: room.choices.audioOn && !!room.publisher?.stream?.hasAudio,
            camera: room.choices.videoOn && !!room.publisher?.stream?.hasVideo,
            screen: !!room.screenShare.publisher,
            chat: room.panel === 'chat',
            participants: room.panel === 'participants',
            settings: room.panel === 'settings'
        };
        // Only what changed is written: the room's state changes many times while joining,
        // and every write restyles the toolbar (an icon is SVG to parse again).
        for (const b of /** @type {any} */ (root.querySelectorAll('button[data-b]'))) {
            const name = b.dataset.b;
            const label = room.t(LABEL[name]);
            if (b.title !== label) {
                b.setAttribute('aria-label', label);
                b.title = label;
            }
            if (name in pressed) setIfChanged(b, 'aria-pressed', String(pressed[name]));
            if (name === 'mic') setIcon(b, pressed.mic ? 'mic' : 'micOff');
            if (name === 'camera') setIcon(b, pressed.camera ? 'camera' : 'cameraOff');
            if (name === 'screen') b.hidden = !room.canShareScreen;
            if (name === 'chat') {
                const badge = b.querySelector('.badge');
                const unread = room.unread ? String(room.unread) : '';
                if (badge.textContent !== unread) badge.textContent = unread;
            }
        }
    }
}

/** @param {Element} el @param {string} name @param {string} value */
function setIfChanged(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Shows icon `name` in button `b` unless it already does. @param {HTMLElement} b @param {string} name */
function setIcon(b, name) {
    if (b.dataset.icon === name) return;
    b.dataset.icon = name;
    b.innerHTML = ICONS[name];
}
