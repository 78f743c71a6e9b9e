// Participants as the official components group them (components spec §2.1–2.2): one
// participant per `participantId` of the connection metadata, holding up to two
// connections (CAMERA and SCREEN) and their streams. Metadata is
// `clientData[%/%serverData]`; only the part before `%/%` is the client's JSON, and
// anything that is not JSON is taken as a plain nickname.

/** A random participant id, like the official components' `Math.random().toString(32)`. */
export function newParticipantId() {
    return Math.random().toString(32).slice(2);
}

/**
 * {name, participantId, type} from a Connection's `data`.
 * @param {string} data @returns {{name: string, participantId: string, type: string}}
 */
export function parseMetadata(data) {
    const client = String(data ?? '').split('%/%')[0];
    /** @type {any} */
    let m = null;
    try {
        m = JSON.parse(client);
    } catch {
        m = null;
    }
    if (m && typeof m === 'object') {
        const type = m.type === 'SCREEN' ? 'SCREEN' : 'CAMERA';
        let name = m.clientData != null ? String(m.clientData) : '';
        if (type === 'SCREEN') name = name.replace(/_SCREEN$/, '');
        return { name, participantId: m.participantId ? String(m.participantId) : '', type };
    }
    return { name: client, participantId: '', type: 'CAMERA' };
}

/**
 * One participant of a room. `camera` / `screen`: null or {stream, manager (the SDK's
 * Publisher or Subscriber), audioActive, videoActive}.
 */
export class Participant {
    /** @param {string} id @param {boolean} local */
    constructor(id, local) {
        this.id = id;
        this.local = local;
        this.name = '';
        this.role = '';
        /** @type {any} camera Connection */
        this.connection = null;
        /** @type {Set<string>} every connection id of this participant */
        this.connectionIds = new Set();
        /** @type {any} */
        this.camera = null;
        /** @type {any} */
        this.screen = null;
        this.speaking = false;
        /** @type {number|null} networkQualityLevelChanged level (0-5), null when unknown */
        this.quality = null;
    }

    /** Whether any camera connection is known (a screen connection alone is not shown). */
    get visible() {
        return this.local || !!this.connection;
    }
}
