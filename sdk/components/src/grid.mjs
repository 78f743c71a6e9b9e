// <ov-participant-grid>: every participant's camera and screen tiles, in a `layout` of
// grid (equal tiles), speaker (one big tile above a strip) or sidebar (one big tile, a
// column beside it). `page-size` tiles per page; tiles off the page stay in the DOM (their
// <video> keeps playing the sound) but hidden and unsubscribed from video
// (Subscriber.subscribeToVideo(false)). The big tile is the pinned one, else a screen
// share, else the active speaker (promoted automatically), else the first remote.
// `renderTile(tile, participant)` lets a page decorate each new tile (slot "tile-overlay").

import { OvElement, shadow, sheet, emit, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { ICONS } from './icons.mjs';

const TILE_PARTS = 'tile, video, avatar, name, muted-icon, quality, pin-button';

const STYLE = sheet(`
:host { display: flex; flex-direction: column; min-height: 0; height: 100%; }
.tiles { flex: 1; display: grid; gap: 6px; padding: 6px; min-height: 0;
  grid-template-columns: repeat(var(--cols, 1), minmax(0, 1fr)); grid-auto-rows: minmax(0, 1fr); }
:host([layout=speaker]) .tiles { grid-template-rows: 4fr; grid-auto-rows: 1fr; }
:host([layout=speaker]) .main { grid-column: 1 / -1; }
:host([layout=sidebar]) .tiles { grid-template-columns: 4fr 1fr; }
:host([layout=sidebar]) .main { grid-column: 1; grid-row: 1 / span var(--rows, 1); }
:host([layout=sidebar]) .tiles > :not(.main) { grid-column: 2; }
.pages { display: flex; justify-content: center; align-items: center; gap: 8px; padding: 4px; color: var(--_text); }
.pages[hidden] { display: none; }
`);

export class OvParticipantGrid extends OvElement {
    static observedAttributes = ['layout', 'page-size'];

    constructor() {
        super();
        this.page = 0;
        /** @type {Map<string, any>} tile key → <ov-participant-tile> */
        this._tiles = new Map();
        /** @type {((tile: any, participant: any) => void) | null} */
        this.renderTile = null;
    }

    /** @param {string} _name @param {string|null} old @param {string|null} value */
    attributeChangedCallback(_name, old, value) {
        if (old !== value) this.update();
    }

    get layout() {
        const l = this.getAttribute('layout');
        return l === 'speaker' || l === 'sidebar' ? l : 'grid';
    }

    get pageSize() {
        const n = parseInt(this.getAttribute('page-size') ?? '', 10);
        return n > 0 ? n : 9;
    }

    render() {
        const root = shadow(
            this,
            [BASE, STYLE],
            `<div class="tiles" part="grid" role="list"></div>
<nav class="pages" part="pagination" hidden><button class="prev" part="button prev-button">${ICONS.prev}</button><span class="label" aria-live="polite"></span><button class="next" part="button next-button">${ICONS.next}</button></nav>`
        );
        $(root, '.prev').addEventListener('click', () => this.goTo(this.page - 1));
        $(root, '.next').addEventListener('click', () => this.goTo(this.page + 1));
    }

    /** Shows page `n` (0-based). */
    goTo(n) {
        this.page = n;
        this.update();
        emit(this, 'ov-page', { page: this.page, pages: this._pages });
    }

    /** Tiles in display order: [key, participant, source]. */
    _entries() {
        const room = this.room;
        /** @type {[string, any, string][]} */
        const out = [];
        const people = [room.local, ...room.participants.values()].filter((p) => p && p.visible);
        for (const p of people) {
            if (p.screen) out.push([p.id + ':screen', p, 'screen']);
        }
        for (const p of people) out.push([p.id + ':camera', p, 'camera']);
        return out;
    }

    /** Key of the big tile in the speaker/sidebar layouts. */
    _mainKey(entries) {
        const room = this.room;
        const keys = entries.map((e) => e[0]);
        if (room.pinned && keys.includes(room.pinned)) return room.pinned;
        const screen = entries.find((e) => e[2] === 'screen');
        if (screen) return screen[0];
        const speaker = room.activeSpeaker && room.activeSpeaker + ':camera';
        if (speaker && keys.includes(speaker)) return speaker;
        return (entries.find((e) => !e[1].local) ?? entries[0])?.[0] ?? null;
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        this.hidden = !this.inCall;
        const box = $(root, '.tiles');
        if (!this.room || !this.inCall) {
            for (const tile of this._tiles.values()) tile.remove();
            this._tiles.clear();
            return;
        }
        const layout = this.layout;
        let entries = this._entries();
        const mainKey = layout === 'grid' ? (this.room.pinned ?? null) : this._mainKey(entries);
        if (mainKey) entries = [...entries.filter((e) => e[0] === mainKey), ...entries.filter((e) => e[0] !== mainKey)];
        // The big tile is on every page; the others are paged.
        const fixed = layout !== 'grid' && mainKey ? 1 : 0;
        const per = Math.max(1, this.pageSize - fixed);
        const rest = entries.length - fixed;
        const pages = Math.max(1, Math.ceil(rest / per));
        this._pages = pages;
        this.page = Math.min(Math.max(0, this.page), pages - 1);
        const from = fixed + this.page * per;
        const visible = new Set(entries.slice(0, fixed).concat(entries.slice(from, from + per)).map((e) => e[0]));

        const seen = new Set();
        let i = 0;
        for (const [key, p, source] of entries) {
            seen.add(key);
            let tile = this._tiles.get(key);
            if (!tile) {
                tile = document.createElement('ov-participant-tile');
                tile.setAttribute('source', source);
                tile.setAttribute('exportparts', TILE_PARTS);
                tile.setAttribute('role', 'listitem');
                this._tiles.set(key, tile);
                tile.participant = p;
                if (this.renderTile) this.renderTile(tile, p);
            } else if (tile.participant !== p) tile.participant = p;
            // Keep DOM order = display order, moving as little as possible (a <video> moved
            // within one task keeps playing).
            if (box.children[i] !== tile) box.insertBefore(tile, box.children[i] ?? null);
            i++;
            const show = visible.has(key);
            tile.hidden = !show;
            tile.classList.toggle('main', key === mainKey && layout !== 'grid');
            tile.setVideoWanted?.(show);
            if (this.hasAttribute('hide-names')) tile.setAttribute('hide-name', '');
        }
        for (const [key, tile] of this._tiles) {
            if (!seen.has(key)) {
                tile.remove();
                this._tiles.delete(key);
            }
        }
        const shown = visible.size;
        const others = shown - (layout !== 'grid' && mainKey ? 1 : 0);
        const cols = layout === 'grid' ? Math.ceil(Math.sqrt(shown)) : layout === 'speaker' ? Math.max(1, others) : 2;
        box.style.setProperty('--cols', String(cols));
        box.style.setProperty('--rows', String(Math.max(1, others)));
        const nav = $(root, '.pages');
        nav.hidden = pages < 2;
        $(root, '.label').textContent = this.t('pageOf', { page: this.page + 1, pages });
        $(root, '.prev').disabled = this.page === 0;
        $(root, '.next').disabled = this.page >= pages - 1;
        $(root, '.prev').setAttribute('aria-label', this.t('prevPage'));
        $(root, '.next').setAttribute('aria-label', this.t('nextPage'));
    }
}
