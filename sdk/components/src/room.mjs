// <ov-room>: one session's state, shared with the elements inside it (found through DOM
// ancestry, so several rooms live on one page). It holds the SDK objects (`.session`,
// `.publisher`), the participants grouped by participantId, the chat, the open panel and
// the pinned tile, and tells its elements to re-render with a non-bubbling `ov-state`
// event. The SDK is `room.OpenVidu` (default: ours, through sdk.mjs); set it to
// `window.OpenVidu` to run on the official openvidu-browser bundle.

import { OpenVidu as SdkOpenVidu } from './sdk.mjs';
import { shadow, emit, boolAttr, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { sheet } from './dom.mjs';
import { translate } from './i18n.mjs';
import { Participant, newParticipantId } from './participant.mjs';
import { fetchToken } from './app-server.mjs';
import { wireSession } from './session-events.mjs';
import { makePublisher, switchDevice, startScreen, stopScreen, closeScreen } from './media.mjs';

const STYLE = sheet(`:host { display: block; position: relative; }
.sound { position: absolute; left: 50%; bottom: 80px; transform: translateX(-50%); z-index: 3; border-radius: var(--_leave-radius);
  background: var(--_tertiary); padding: 8px 16px; }`);
const STORE = 'openviduCall';

/** localStorage, tolerating pages where it throws (sandboxed frames, privacy modes). */
function store(key, value) {
    try {
        if (value === undefined) return localStorage.getItem(STORE + key);
        localStorage.setItem(STORE + key, value);
    } catch {
        /* not available */
    }
    return null;
}

export class OvRoom extends HTMLElement {
    static observedAttributes = ['token', 'tokens', 'session', 'app-server', 'lang'];

    constructor() {
        super();
        /** The SDK's OpenVidu constructor: ours by default, or e.g. the official `window.OpenVidu`. */
        this.OpenVidu = SdkOpenVidu;
        /** @type {'idle'|'prejoin'|'joining'|'joined'|'reconnecting'|'disconnected'|'left'|'error'} */
        this.phase = 'idle';
        /** @type {any} */ this.ov = null;
        /** @type {any} the SDK Session (camera connection) */ this.session = null;
        /** @type {any} */ this.publisher = null;
        /** @type {Map<string, Participant>} */ this.participants = new Map();
        /** @type {Participant|null} */ this.local = null;
        /** @type {Set<string>} our camera and screen connection ids */ this.ownConnectionIds = new Set();
        this.participantId = newParticipantId();
        this.screenShare = { ov: null, session: null, publisher: null };
        /** @type {{nickname: string, message: string, local: boolean, at: number}[]} */ this.messages = [];
        this.unread = 0;
        /** @type {string|null} 'chat' | 'participants' | any custom panel name */ this.panel = null;
        /** @type {string|null} "participantId:source" of the pinned tile */ this.pinned = null;
        /** @type {string|null} participantId of the last one who spoke */ this.activeSpeaker = null;
        /** String overrides, e.g. {leave: 'Bye'}. */ this.strings = {};
        this.resolution = '640x480';
        this.frameRate = 30;
        /** @type {any} */ this._tokens = null;
        /** @type {Promise<string> | null} the camera token asked for at connection (see connectedCallback) */
        this._tokenRequest = null;
        this.joinedName = '';
        const savedAudio = store('AudioMuted');
        const savedVideo = store('VideoMuted');
        this.choices = {
            name: '',
            audioOn: savedAudio !== 'true',
            videoOn: savedVideo !== 'true',
            audioDevice: store('AudioDevice') || '',
            videoDevice: store('VideoDevice') || ''
        };
        const root = shadow(
            this,
            [BASE, STYLE],
            '<slot></slot><div class="sr" role="status" aria-live="polite" part="live"></div><button class="sound" part="button enable-audio-button" type="button" hidden></button>'
        );
        this._live = $(root, '[role=status]');
        // Autoplay with sound refused (no user gesture yet): tiles play muted; one click unmutes them all.
        /** @type {Set<HTMLVideoElement>} */
        this._mutedVideos = new Set();
        const sound = $(root, '.sound');
        this.addEventListener('ov-autoplay-blocked', (e) => {
            this._mutedVideos.add(/** @type {CustomEvent} */ (e).detail.video);
            sound.textContent = this.t('enableAudio');
            sound.hidden = false;
        });
        sound.addEventListener('click', () => {
            for (const v of this._mutedVideos) {
                v.muted = false;
                v.play().catch(() => {});
            }
            this._mutedVideos.clear();
            sound.hidden = true;
        });
        this._pending = false;
        this.addEventListener('keydown', (e) => this._shortcut(e));
    }

    connectedCallback() {
        if (!this.choices.name) this.choices.name = this.getAttribute('participant-name') || this.getAttribute('name') || store('Nickname') || `OpenVidu_User${Math.floor(Math.random() * 100)}`;
        // Joining at once with a token from an application server: ask for it now, so it
        // travels while the elements inside render (their connectedCallbacks come next).
        if (this.phase === 'idle' && !this._tokenRequest && !boolAttr(this, 'prejoin', false) && this._tokenFromAppServer()) {
            this._tokenRequest = fetchToken(this.appServer ?? '', this.getAttribute('session') ?? '');
            this._tokenRequest.catch(() => {}); // awaited by join
        }
        queueMicrotask(() => this._maybeStart());
    }

    /** True when the camera token comes from the application server (no token given). */
    _tokenFromAppServer() {
        return !this.tokens?.webcam && !this.getAttribute('token') && this.appServer !== null && !!this.getAttribute('session');
    }

    disconnectedCallback() {
        // A room taken out of the page leaves its call (moving it within a task keeps it).
        queueMicrotask(() => {
            if (!this.isConnected) this.leave();
        });
    }

    attributeChangedCallback(name) {
        if (name === 'lang') this.changed();
        else queueMicrotask(() => this._maybeStart());
    }

    /** `{webcam, screen}`, or a JSON string of it, or one token string. */
    get tokens() {
        return this._tokens ?? parseTokens(this.getAttribute('tokens'));
    }
    set tokens(v) {
        this._tokens = typeof v === 'string' ? parseTokens(v) : v;
        queueMicrotask(() => this._maybeStart());
    }

    get wantAudio() {
        return boolAttr(this, 'audio', true);
    }
    get wantVideo() {
        return boolAttr(this, 'video', true);
    }
    get appServer() {
        return this.getAttribute('app-server');
    }
    get sessionName() {
        return this.getAttribute('session') || this.session?.sessionId || '';
    }
    /** A screen share needs a second token: from `tokens.screen` or the application server. */
    get canShareScreen() {
        return !!(this.tokens?.screen || (this.appServer !== null && this.getAttribute('session')));
    }

    /** @param {string} key @param {Record<string, any>} [vars] */
    t(key, vars) {
        return translate(this.lang || 'en', this.strings, key, vars);
    }

    /** Announces `text` to screen readers (each message is a new node of the live region). */
    announce(text) {
        const div = document.createElement('div');
        div.textContent = text;
        this._live.append(div);
        setTimeout(() => div.remove(), 10_000);
    }

    /** @param {string} name @param {any} [detail] @param {boolean} [cancelable] */
    fire(name, detail, cancelable) {
        return emit(this, name, detail, cancelable);
    }

    /** Tells the room's elements to re-render (once per microtask). */
    changed() {
        if (this._pending) return;
        this._pending = true;
        queueMicrotask(() => {
            this._pending = false;
            this.dispatchEvent(new Event('ov-state'));
        });
    }

    /** @param {any} phase @param {string} [eventName] @param {any} [detail] */
    setPhase(phase, eventName, detail) {
        this.phase = phase;
        this.setAttribute('phase', phase);
        if (eventName) this.fire(eventName, detail ?? {});
        this.changed();
    }

    _hasTokenSource() {
        return !!(this.tokens?.webcam || this.getAttribute('token') || (this.appServer !== null && this.getAttribute('session')));
    }

    _maybeStart() {
        if (!this.isConnected || this.phase !== 'idle' || !this._hasTokenSource()) return;
        if (boolAttr(this, 'prejoin', false)) this.enterPrejoin();
        else this.join();
    }

    _ensureOV() {
        if (this.ov) return;
        this.ov = new this.OpenVidu();
        if (typeof this.ov.enableProdMode === 'function' && !this.hasAttribute('debug')) this.ov.enableProdMode();
        this.session = this.ov.initSession();
        wireSession(this, this.session);
    }

    /** Shows the pre-join step: a camera preview to check before joining. */
    async enterPrejoin() {
        this.setPhase('prejoin');
        this._ensureOV();
        if (!this.publisher) this.publisher = await makePublisher(this);
        this.changed();
    }

    async webcamToken() {
        const t = this.tokens?.webcam || this.getAttribute('token');
        if (t) return t;
        const early = this._tokenRequest;
        this._tokenRequest = null;
        return early ?? fetchToken(this.appServer ?? '', this.getAttribute('session') ?? '');
    }

    async screenToken() {
        const t = this.tokens?.screen;
        if (t) return t;
        return fetchToken(this.appServer ?? '', this.getAttribute('session') ?? '');
    }

    /**
     * Connects and publishes. `choices`: {name} (e.g. from <ov-prejoin>). Emits
     * `ov-session-created` (detail.session) before connect, so a page can add handlers.
     * @param {{name?: string}} [choices]
     */
    async join(choices = {}) {
        if (['joining', 'joined', 'reconnecting'].includes(this.phase)) return;
        if (choices.name) this.choices.name = choices.name;
        store('Nickname', this.choices.name);
        this.setPhase('joining');
        try {
            // Without a pre-join preview the camera opens once `connect` has answered: the
            // streams already in the room are subscribed by then (their streamCreated comes
            // with the answer), so opening and publishing the camera does not compete with
            // their negotiation for the CPU.
            this._ensureOV();
            const token = await this.webcamToken();
            const local = new Participant(this.participantId, true);
            local.name = this.choices.name;
            this.local = local;
            this.fire('ov-session-created', { session: this.session, participant: local });
            await this.session.connect(token, { clientData: local.name, participantId: this.participantId, type: 'CAMERA' });
            this.joinedName = local.name;
            const conn = this.session.connection;
            this.ownConnectionIds.add(conn.connectionId);
            local.connection = conn;
            local.connectionIds.add(conn.connectionId);
            local.role = conn.role ?? '';
            this.publisher ??= await makePublisher(this);
            if (this.publisher) {
                const pub = this.publisher;
                // Fired on the Publisher itself when a moderator force-unpublishes it (and on unpublish/leave).
                pub.on('streamDestroyed', () => {
                    if (this.publisher !== pub) return;
                    this.publisher = null;
                    if (this.local) this.local.camera = null;
                    this.changed();
                });
                await this.session.publish(pub);
                local.camera = {
                    stream: this.publisher.stream,
                    manager: this.publisher,
                    audioActive: this.publisher.stream.audioActive,
                    videoActive: this.publisher.stream.videoActive
                };
            }
            this.setPhase('joined', 'ov-joined', { session: this.session });
        } catch (error) {
            this._cleanup();
            this.setPhase('error', 'ov-error', { error, stage: 'join' });
        }
    }

    /** Leaves the call (both connections). */
    leave() {
        if (this.phase === 'idle' || this.phase === 'left') return;
        const s = this.session;
        if (s?.connection) {
            try {
                s.disconnect(); // sessionDisconnected → ended('disconnect')
            } catch {
                /* already closed */
            }
        }
        if (/** @type {string} */ (this.phase) !== 'left') this.ended('disconnect');
    }

    /** Joins again after a lost connection (a new token: from the application server or `tokens`/`token` set again). */
    rejoin() {
        this._cleanup();
        this.phase = 'idle';
        return this.join();
    }

    /** The session ended (sessionDisconnected's reason). */
    ended(reason) {
        if (this.phase === 'left' || this.phase === 'disconnected') return;
        const lost = reason === 'networkDisconnect' || reason === 'nodeCrashed';
        this._cleanup();
        this.announce(this.t(lost ? 'disconnected' : 'left'));
        this.setPhase(lost ? 'disconnected' : 'left', 'ov-left', { reason });
    }

    _cleanup() {
        closeScreen(this);
        this.publisher?.stream?.getMediaStream?.()?.getTracks().forEach((t) => t.stop());
        this.publisher = null;
        this.ov = null;
        this.session = null;
        this.participants.clear();
        this.ownConnectionIds.clear();
        this.local = null;
        this.pinned = null;
        this.activeSpeaker = null;
    }

    toggleAudio(on = !this.choices.audioOn) {
        this.choices.audioOn = on;
        store('AudioMuted', String(!on));
        this.publisher?.publishAudio(on);
        if (this.local?.camera) this.local.camera.audioActive = on;
        this.changed();
    }

    async toggleVideo(on = !this.choices.videoOn) {
        this.choices.videoOn = on;
        store('VideoMuted', String(!on));
        if (this.local?.camera) this.local.camera.videoActive = on;
        this.changed();
        await this.publisher?.publishVideo(on);
    }

    async toggleScreen(on = !this.screenShare.publisher) {
        if (!this.inCall || !this.canShareScreen) return;
        try {
            if (on) await startScreen(this);
            else await stopScreen(this);
        } catch (error) {
            this.fire('ov-error', { error, stage: 'screen' });
            this.changed();
        }
    }

    get inCall() {
        return this.phase === 'joined' || this.phase === 'reconnecting';
    }

    /** Opens panel `name` ('chat', 'participants', …), or closes it if open. */
    togglePanel(name) {
        this.panel = this.panel === name ? null : name;
        if (this.panel === 'chat') this.unread = 0;
        this.fire('ov-panel', { panel: this.panel });
        this.changed();
    }

    toggleFullscreen() {
        if (document.fullscreenElement) document.exitFullscreen?.();
        else this.requestFullscreen?.().catch(() => {});
    }

    /** Pins tile "participantId:source" (or unpins it). */
    pin(key) {
        this.pinned = this.pinned === key ? null : key;
        this.changed();
    }

    /** @param {string} device @param {'videoinput'|'audioinput'} kind */
    async selectDevice(kind, device) {
        if (kind === 'videoinput') this.choices.videoDevice = device;
        else this.choices.audioDevice = device;
        store(kind === 'videoinput' ? 'VideoDevice' : 'AudioDevice', device);
        try {
            await switchDevice(this, kind, device);
        } catch (error) {
            this.fire('ov-error', { error, stage: 'device' });
        }
        this.changed();
    }

    /** @param {string} type @param {any} data @param {any[]} [to] */
    sendSignal(type, data, to) {
        return this.session?.signal({ type, data: JSON.stringify(data), ...(to ? { to } : {}) }).catch(() => {});
    }

    /** Sends a chat message to everyone (it comes back through the server's echo, as in 2.32). */
    sendChat(text) {
        const message = String(text).replace(/\s+/g, ' ').trim();
        if (!message || !this.local) return;
        return this.sendSignal('chat', { message, nickname: this.local.name });
    }

    receiveChat(e) {
        let data;
        try {
            data = JSON.parse(e.data);
        } catch {
            data = { message: String(e.data ?? '') };
        }
        const local = !!e.from && this.ownConnectionIds.has(e.from.connectionId);
        const msg = { nickname: String(data?.nickname ?? ''), message: String(data?.message ?? ''), local, at: Date.now() };
        this.messages.push(msg);
        if (!local) {
            if (this.panel !== 'chat') this.unread++;
            this.announce(this.t('chatAnnounce', { name: msg.nickname, message: msg.message }));
        }
        this.fire('ov-chat-message', msg);
        this.changed();
    }

    /** Renames the local participant; others learn it through `nicknameChanged`. */
    setName(name) {
        const n = String(name).trim();
        if (!n) return;
        this.choices.name = n;
        store('Nickname', n);
        if (this.local && this.local.name !== n) {
            this.local.name = n;
            this.sendSignal('nicknameChanged', { clientData: n });
        }
        this.changed();
    }

    /** MODERATOR: stops every stream of participant `p`. */
    forceUnpublish(p) {
        for (const m of [p.camera, p.screen]) if (m) this.session?.forceUnpublish(m.stream).catch((error) => this.fire('ov-error', { error, stage: 'moderation' }));
    }

    /** MODERATOR: disconnects every connection of participant `p`. */
    forceDisconnect(p) {
        for (const id of p.connectionIds) {
            const conn = this.session?.remoteConnections?.get(id) ?? (p.connection?.connectionId === id ? p.connection : null);
            if (conn) this.session.forceDisconnect(conn).catch((error) => this.fire('ov-error', { error, stage: 'moderation' }));
        }
    }

    get isModerator() {
        return this.local?.role === 'MODERATOR';
    }

    /** M mic, V camera, S screen, C chat, P participants, F fullscreen (not while typing). */
    _shortcut(e) {
        if (!this.inCall || e.ctrlKey || e.metaKey || e.altKey || this.hasAttribute('no-shortcuts')) return;
        const target = e.composedPath()[0];
        if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
        const act = { m: () => this.toggleAudio(), v: () => this.toggleVideo(), s: () => this.toggleScreen(), c: () => this.togglePanel('chat'), p: () => this.togglePanel('participants'), f: () => this.toggleFullscreen() }[e.key.toLowerCase()];
        if (act) {
            e.preventDefault();
            act();
        }
    }
}

/** @param {string|null} v @returns {any} */
export function parseTokens(v) {
    if (!v) return null;
    try {
        const o = JSON.parse(v);
        if (o && typeof o === 'object') return o;
    } catch {
        /* a plain token */
    }
    return { webcam: v };
}
