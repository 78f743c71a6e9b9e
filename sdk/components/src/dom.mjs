// Small DOM helpers shared by every element: shadow roots with constructable stylesheets,
// composed events, and finding the <ov-room> an element belongs to. No framework: each
// element re-renders itself from the room's state when the room says it changed.

/** Icons and markup are trusted strings of this library; user text goes through `esc`. */
export function esc(s) {
    return String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
}

/**
 * A constructable stylesheet (shared by every instance of an element, parsed once).
 * @param {string} text
 */
export function sheet(text) {
    const s = new CSSStyleSheet();
    s.replaceSync(text);
    return s;
}

/**
 * Attaches an open shadow root with `sheets` and `html`; returns it.
 * @param {HTMLElement} host @param {CSSStyleSheet[]} sheets @param {string} html
 */
export function shadow(host, sheets, html) {
    const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = sheets;
    root.innerHTML = html;
    return root;
}

/**
 * querySelector typed as `any`: the elements' own markup is known, so no casts at each use.
 * @param {ParentNode} root @param {string} sel @returns {any}
 */
export function $(root, sel) {
    return root.querySelector(sel);
}

/**
 * Dispatches a bubbling, composed CustomEvent (it leaves every shadow root, so a page
 * listens on any ancestor). Returns false when a listener called preventDefault().
 * @param {EventTarget} el @param {string} name @param {any} [detail] @param {boolean} [cancelable]
 */
export function emit(el, name, detail, cancelable = false) {
    return el.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
}

/**
 * The nearest <ov-room> ancestor, crossing shadow roots (an element inside
 * <openvidu-call>'s shadow root finds the room there; a page's own element finds its own).
 * @param {Element} el @returns {any}
 */
export function findRoom(el) {
    /** @type {any} */
    let node = el;
    while (node) {
        const room = node.closest?.('ov-room');
        if (room) return room;
        const root = node.getRootNode();
        node = root instanceof ShadowRoot ? root.host : null;
    }
    return null;
}

/** Attribute value as a boolean: absent → `dflt`, "false"/"0"/"off" → false, anything else → true. */
export function boolAttr(el, name, dflt) {
    const v = el.getAttribute(name);
    if (v === null) return dflt;
    return !/^(false|0|off|no)$/i.test(v.trim());
}

/** Sets or removes a reflected boolean attribute. */
export function reflect(el, name, on) {
    if (on) el.setAttribute(name, '');
    else el.removeAttribute(name);
}

/**
 * Base class: finds its room when connected (waiting for <ov-room> to be defined if
 * needed), calls `update()` whenever the room's state changes, and translates strings
 * through the room's language. Subclasses implement `render()` (once) and `update()`.
 *
 * An element that is mostly hidden (a panel, the pre-join step) also implements `shown()`:
 * it is rendered the first time it shows, and stays hidden without a shadow root until
 * then, so joining a call does not build what nobody opened. Once rendered, `update()`
 * runs on every change, shown or not.
 */
export class OvElement extends HTMLElement {
    constructor() {
        super();
        /** @type {any} */
        this.room = null;
        this._onState = () => this.refresh();
        this._rendered = false;
    }

    connectedCallback() {
        if (this.shown() === null) this._render();
        const room = findRoom(this);
        if (!room) {
            this.refresh();
            return;
        }
        customElements.whenDefined('ov-room').then(() => {
            if (!this.isConnected) return;
            this.room = room;
            room.addEventListener('ov-state', this._onState);
            this.refresh();
        });
    }

    /** Renders on the first showing (see `shown`), then updates. */
    refresh() {
        if (!this._rendered) {
            if (this.shown() === false) {
                this.hidden = true;
                return;
            }
            this.hidden = false;
            this._render();
        }
        this.update();
    }

    _render() {
        if (this._rendered) return;
        this._rendered = true;
        this.render();
    }

    /**
     * Whether the element shows now, for one rendered only once it shows; `null` (the
     * default) renders it at connection.
     * @returns {boolean | null}
     */
    shown() {
        return null;
    }

    disconnectedCallback() {
        this.room?.removeEventListener('ov-state', this._onState);
        this.room = null;
    }

    /** Translated string `key` with `{var}`s replaced. @param {string} key @param {Record<string, any>} [vars] */
    t(key, vars) {
        return this.room ? this.room.t(key, vars) : key;
    }

    /** True while the room is in a call (also while it reconnects). */
    get inCall() {
        const ph = this.room?.phase;
        return ph === 'joined' || ph === 'reconnecting';
    }

    render() {}
    update() {}
}
