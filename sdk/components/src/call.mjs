// <openvidu-call>: a whole call in one element: <ov-room> with the default children
// (banner, pre-join, grid, chat and participants panels, toolbar) in its shadow root. Its
// attributes go to the room (token, tokens, session, app-server, name, participant-name,
// lang, prejoin (default on), audio, video), the grid (layout, page-size) and the toolbar
// (buttons). Slots: toolbar-start, toolbar-end, panel. Parts of the inner elements are
// exported, so `openvidu-call::part(leave-button)` works from the page.

import { sheet } from './dom.mjs';
import { BASE } from './theme.mjs';

const STYLE = sheet(`
:host { display: block; height: 100%; min-height: 320px; background: var(--_primary); }
ov-room { height: 100%; }
.layout { display: flex; flex-direction: column; height: 100%; }
.main { flex: 1; display: flex; min-height: 0; }
ov-participant-grid { flex: 1; min-width: 0; }
.side { display: flex; flex-direction: column; gap: 6px; padding: 6px; width: min(320px, 40%); }
.side[hidden] { display: none; }
.side > * { flex: 1; }
ov-prejoin { flex: 1; }
ov-connection-banner { position: absolute; top: 8px; left: 0; right: 0; z-index: 2; }
`);

const PARTS = [
    'live', 'enable-audio-button', 'grid', 'pagination', 'tile', 'video', 'avatar', 'name', 'muted-icon', 'quality', 'pin-button', 'button',
    'settings-button', 'mic-button', 'camera-button', 'screen-button', 'chat-button', 'participants-button', 'fullscreen-button', 'leave-button',
    'title', 'panel', 'chat-panel', 'participants-panel', 'prejoin-panel', 'list', 'message', 'form', 'input', 'send-button',
    'item', 'local-item', 'name-input', 'unpublish-button', 'kick-button', 'preview', 'level', 'join-button',
    'camera-select', 'microphone-select', 'banner', 'rejoin-button', 'prev-button', 'next-button'
].join(', ');

/** <openvidu-call>'s toolbar: the defaults plus the settings panel (devices in the call). */
export const CALL_BUTTONS = 'mic camera screen chat participants settings fullscreen leave';

const ROOM_ATTRS = ['token', 'tokens', 'session', 'app-server', 'name', 'participant-name', 'lang', 'prejoin', 'audio', 'video', 'debug', 'no-shortcuts'];
const GRID_ATTRS = ['layout', 'page-size'];

export class OpenViduCall extends HTMLElement {
    static observedAttributes = [...ROOM_ATTRS, ...GRID_ATTRS, 'buttons'];

    constructor() {
        super();
        const root = this.attachShadow({ mode: 'open' });
        root.adoptedStyleSheets = [BASE, STYLE];
        root.innerHTML = `<ov-room prejoin exportparts="${PARTS}"><div class="layout">
<ov-connection-banner exportparts="${PARTS}"></ov-connection-banner>
<ov-prejoin exportparts="${PARTS}"></ov-prejoin>
<div class="main"><ov-participant-grid exportparts="${PARTS}"></ov-participant-grid>
<div class="side" hidden><ov-chat exportparts="${PARTS}"></ov-chat><ov-participants exportparts="${PARTS}"></ov-participants>
<ov-panel name="settings"><ov-device-select kind="videoinput" exportparts="select: camera-select"></ov-device-select><ov-device-select kind="audioinput" exportparts="select: microphone-select"></ov-device-select></ov-panel><slot name="panel"></slot></div></div>
<ov-toolbar session-name buttons="${CALL_BUTTONS}" exportparts="${PARTS}"><slot name="toolbar-start" slot="toolbar-start"></slot><slot name="toolbar-end" slot="toolbar-end"></slot></ov-toolbar>
</div></ov-room>`;
        /** @type {any} the inner <ov-room> */
        this.room = root.querySelector('ov-room');
        /** @type {any} */
        this.grid = root.querySelector('ov-participant-grid');
        /** @type {any} */
        this.toolbar = root.querySelector('ov-toolbar');
        // The side column takes room only while one of its panels (a page's slotted ones
        // too) shows; the panels update on the same `ov-state`, so look once they have.
        const side = /** @type {HTMLElement} */ (root.querySelector('.side'));
        const slot = /** @type {HTMLSlotElement} */ (side.querySelector('slot[name=panel]'));
        const layoutSide = () => {
            const panels = [...side.children, ...slot.assignedElements()].filter((el) => el !== slot);
            side.hidden = !panels.some((el) => !(/** @type {HTMLElement} */ (el).hidden));
        };
        this.room.addEventListener('ov-state', () => queueMicrotask(layoutSide));
        slot.addEventListener('slotchange', layoutSide);
    }

    /** @param {string} name @param {string|null} _old @param {string|null} value */
    attributeChangedCallback(name, _old, value) {
        const target = ROOM_ATTRS.includes(name) ? this.room : GRID_ATTRS.includes(name) ? this.grid : this.toolbar;
        if (value === null) target.removeAttribute(name);
        else target.setAttribute(name, value);
    }

    /** The SDK's OpenVidu constructor the call runs on (see <ov-room>). */
    get OpenVidu() {
        return this.room.OpenVidu;
    }
    set OpenVidu(v) {
        this.room.OpenVidu = v;
    }
    get tokens() {
        return this.room.tokens;
    }
    set tokens(v) {
        this.room.tokens = v;
    }
    /** The SDK Session of the camera connection. */
    get session() {
        return this.room.session;
    }
    get strings() {
        return this.room.strings;
    }
    set strings(v) {
        this.room.strings = v;
        this.room.changed();
    }
    leave() {
        this.room.leave();
    }
}
