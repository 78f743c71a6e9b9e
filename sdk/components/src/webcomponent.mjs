// `openvidu-webcomponent`: <openvidu-call> answering to OpenVidu 2.32's ready-to-use
// element (components spec §1.2–1.4): its properties and kebab-case attributes, booleans
// cast as castToBoolean does, `tokens` as {webcam, screen} or one string (which hides the
// screen button: there is no second token), its on* CustomEvents (detail = payload;
// onSessionCreated before connect, then onParticipantCreated) and `disconnect()`.
// Inputs we do not implement (recording, broadcasting, captions, background effects) are
// accepted and ignored.

import { OpenViduCall, CALL_BUTTONS } from './call.mjs';

/** castToBoolean of the 2.32 web component: booleans or "true"/"false", anything else throws. */
export function castToBoolean(value) {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new Error('Parameter has an incorrect string value.');
}

const BOOLEANS = [
    'minimal', 'prejoin', 'videoMuted', 'audioMuted', 'simulcast',
    'toolbarScreenshareButton', 'toolbarRecordingButton', 'toolbarBroadcastingButton', 'toolbarFullscreenButton',
    'toolbarBackgroundEffectsButton', 'toolbarSettingsButton', 'toolbarLeaveButton', 'toolbarChatPanelButton',
    'toolbarActivitiesPanelButton', 'toolbarParticipantsPanelButton', 'toolbarCaptionsButton', 'toolbarDisplayLogo',
    'toolbarDisplaySessionName', 'streamDisplayParticipantName', 'streamDisplayAudioDetection', 'streamSettingsButton',
    'participantPanelItemMuteButton', 'activitiesPanelRecordingActivity', 'activitiesPanelBroadcastingActivity'
];
const OTHERS = [
    'tokens', 'lang', 'langOptions', 'captionsLang', 'captionsLangOptions', 'participantName', 'streamResolution', 'streamFrameRate',
    'recordingActivityRecordingsList', 'recordingActivityRecordingError', 'broadcastingActivityBroadcastingError'
];
const kebab = (s) => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const BY_ATTR = Object.fromEntries([...BOOLEANS, ...OTHERS].map((p) => [kebab(p), p]));

/** Toolbar button → the input that shows it. */
const BUTTON_INPUT = {
    screen: 'toolbarScreenshareButton',
    settings: 'toolbarSettingsButton',
    fullscreen: 'toolbarFullscreenButton',
    leave: 'toolbarLeaveButton',
    chat: 'toolbarChatPanelButton',
    participants: 'toolbarParticipantsPanelButton'
};
const EVENTS = {
    mic: 'onToolbarMicrophoneButtonClicked',
    camera: 'onToolbarCameraButtonClicked',
    screen: 'onToolbarScreenshareButtonClicked',
    fullscreen: 'onToolbarFullscreenButtonClicked',
    participants: 'onToolbarParticipantsPanelButtonClicked',
    chat: 'onToolbarChatPanelButtonClicked',
    leave: 'onToolbarLeaveButtonClicked'
};

export class OpenViduWebComponent extends OpenViduCall {
    static observedAttributes = Object.keys(BY_ATTR);

    constructor() {
        super();
        /** @type {Record<string, any>} */
        this._inputs = { prejoin: true };
        const out = (name, detail) => this.dispatchEvent(new CustomEvent(name, { detail }));
        this.addEventListener('ov-session-created', (e) => {
            const d = /** @type {CustomEvent} */ (e).detail;
            out('onSessionCreated', d.session);
            out('onParticipantCreated', d.participant);
        });
        this.addEventListener('ov-join', () => out('onJoinButtonClicked'));
        this.addEventListener('ov-toolbar-click', (e) => {
            const name = EVENTS[/** @type {CustomEvent} */ (e).detail.button];
            if (name) out(name);
        });
        this.room.setAttribute('prejoin', 'true');
        this.toolbar.setAttribute('logo', '');
    }

    /** @param {string} attr @param {string|null} _old @param {string|null} value */
    attributeChangedCallback(attr, _old, value) {
        if (value !== null && BY_ATTR[attr]) this._set(BY_ATTR[attr], value);
    }

    /** Leaves the call (both connections), as the 2.32 element's disconnect(). */
    disconnect() {
        this.room.leave();
    }

    /** @param {string} prop @param {any} value */
    _set(prop, value) {
        if (BOOLEANS.includes(prop)) value = castToBoolean(value);
        this._inputs[prop] = value;
        const room = this.room;
        const i = this._inputs;
        switch (prop) {
            case 'tokens': {
                let t = value;
                if (typeof t === 'string') {
                    try {
                        t = JSON.parse(t);
                    } catch {
                        t = { webcam: t };
                    }
                    if (typeof t === 'string') t = { webcam: t };
                }
                room.tokens = t;
                break;
            }
            case 'lang':
                room.setAttribute('lang', value);
                break;
            case 'participantName':
                room.setAttribute('participant-name', value);
                room.choices.name = String(value);
                break;
            case 'prejoin':
                room.setAttribute('prejoin', String(value));
                break;
            case 'videoMuted':
                room.choices.videoOn = !value;
                break;
            case 'audioMuted':
                room.choices.audioOn = !value;
                break;
            case 'streamResolution':
                room.resolution = String(value);
                break;
            case 'streamFrameRate':
                room.frameRate = Number(value) || 30;
                break;
            case 'toolbarDisplaySessionName':
                this.toolbar.toggleAttribute('session-name', !!value && !i.minimal);
                break;
            case 'toolbarDisplayLogo':
                this.toolbar.toggleAttribute('logo', !!value && !i.minimal);
                break;
            case 'streamDisplayParticipantName':
                this.grid.toggleAttribute('hide-names', !value);
                break;
        }
        const buttons = (i.minimal ? 'mic camera leave' : CALL_BUTTONS)
            .split(' ')
            .filter((b) => !(BUTTON_INPUT[b] && i[BUTTON_INPUT[b]] === false));
        this.toolbar.setAttribute('buttons', buttons.join(' '));
        if (i.minimal) {
            this.toolbar.removeAttribute('session-name');
            this.toolbar.removeAttribute('logo');
        }
    }
}

for (const prop of [...BOOLEANS, ...OTHERS]) {
    Object.defineProperty(OpenViduWebComponent.prototype, prop, {
        configurable: true,
        get() {
            return this._inputs[prop];
        },
        set(v) {
            this._set(prop, v);
        }
    });
}
