// Turns the SDK Session's events into the room's participant model (grouped by
// participantId, §2.1 of the components spec) and the room's ov-* events. Works the same
// on our SDK and on the official openvidu-browser 2.32: only public events and fields.

import { Participant, parseMetadata } from './participant.mjs';

/** @param {any} room @param {any} connection @returns {any} the participant of a connection id */
function byConnection(room, connection) {
    if (!connection) return null;
    for (const p of room.participants.values()) if (p.connectionIds.has(connection.connectionId)) return p;
    return null;
}

/** @param {any} room @param {any} stream @returns {[any, string] | null} participant and source of a stream */
function byStream(room, stream) {
    for (const p of room.participants.values()) {
        if (p.camera?.stream === stream || p.camera?.stream?.streamId === stream.streamId) return [p, 'camera'];
        if (p.screen?.stream === stream || p.screen?.stream?.streamId === stream.streamId) return [p, 'screen'];
    }
    return null;
}

/** True for our own connections (camera and screen) and any connection of our participantId. */
function isOwn(room, connection) {
    if (room.ownConnectionIds.has(connection.connectionId)) return true;
    if (room.session?.connection?.connectionId === connection.connectionId) return true;
    return parseMetadata(connection.data).participantId === room.participantId;
}

/** Registers a remote connection; announces a new participant (camera connections only). */
function addConnection(room, connection) {
    if (isOwn(room, connection)) return null;
    const meta = parseMetadata(connection.data);
    const key = meta.participantId || connection.connectionId;
    let p = room.participants.get(key);
    const isNew = !p;
    if (!p) {
        p = new Participant(key, false);
        room.participants.set(key, p);
    }
    p.connectionIds.add(connection.connectionId);
    if (meta.type === 'CAMERA') {
        const announce = !p.connection;
        p.connection = connection;
        p.name = meta.name || p.name;
        p.role = connection.role ?? '';
        if (announce) {
            room.announce(room.t('joinedAnnounce', { name: p.name }));
            room.fire('ov-participant-joined', { participant: p });
            // A name changed after our join is unknown to the newcomer (§2.3 nicknameChanged (b)).
            if (room.local && room.local.name !== room.joinedName) {
                room.sendSignal('nicknameChanged', { clientData: room.local.name }, [connection]);
            }
        }
    } else if (isNew && !p.name) {
        p.name = meta.name;
    }
    return p;
}

/** Wires `session`'s events into `room`. */
export function wireSession(room, session) {
    session.on('connectionCreated', (e) => {
        addConnection(room, e.connection);
        room.changed();
    });
    session.on('connectionDestroyed', (e) => {
        const p = byConnection(room, e.connection);
        if (!p || p.local) return;
        p.connectionIds.delete(e.connection.connectionId);
        if (p.connection?.connectionId === e.connection.connectionId) p.connection = null;
        if (p.connectionIds.size === 0) {
            room.participants.delete(p.id);
            if (room.pinned?.startsWith(p.id + ':')) room.pinned = null;
            room.announce(room.t('leftAnnounce', { name: p.name }));
            room.fire('ov-participant-left', { participant: p, reason: e.reason });
        }
        room.changed();
    });
    session.on('streamCreated', (e) => {
        const stream = e.stream;
        if (isOwn(room, stream.connection)) return; // our screen, shown from its Publisher
        const p = byConnection(room, stream.connection) ?? addConnection(room, stream.connection);
        if (!p) return;
        const screen = stream.typeOfVideo === 'SCREEN' || parseMetadata(stream.connection.data).type === 'SCREEN';
        const manager = session.subscribe(stream, undefined);
        const media = { stream, manager, audioActive: stream.audioActive, videoActive: stream.videoActive };
        if (screen) p.screen = media;
        else p.camera = media;
        room.changed();
    });
    session.on('streamDestroyed', (e) => {
        const found = byStream(room, e.stream);
        if (!found || found[0].local) return;
        const [p, source] = found;
        p[source] = null;
        if (room.pinned === p.id + ':' + source) room.pinned = null;
        room.changed();
    });
    session.on('streamPropertyChanged', (e) => {
        const found = byStream(room, e.stream);
        if (!found) return;
        const media = found[0][found[1]];
        if (e.changedProperty === 'audioActive' || e.changedProperty === 'videoActive') {
            media[e.changedProperty] = !!e.newValue;
            room.changed();
        }
    });
    const speaking = (on) => (e) => {
        const p = byConnection(room, e.connection) ?? (isOwn(room, e.connection) ? room.local : null);
        if (!p) return;
        p.speaking = on;
        if (on && !p.local) room.activeSpeaker = p.id; // never promote ourselves
        room.changed();
    };
    session.on('publisherStartSpeaking', speaking(true));
    session.on('publisherStopSpeaking', speaking(false));
    session.on('networkQualityLevelChanged', (e) => {
        const p = byConnection(room, e.connection) ?? (isOwn(room, e.connection) ? room.local : null);
        if (!p) return;
        p.quality = e.newValue;
        room.changed();
    });
    session.on('connectionPropertyChanged', (e) => {
        if (e.changedProperty !== 'role') return;
        const p = isOwn(room, e.connection) ? room.local : byConnection(room, e.connection);
        if (p) p.role = e.newValue;
        room.changed();
    });
    session.on('signal:chat', (e) => room.receiveChat(e));
    session.on('signal:nicknameChanged', (e) => {
        if (!e.from || isOwn(room, e.from)) return;
        const p = byConnection(room, e.from);
        let name;
        try {
            name = JSON.parse(e.data).clientData;
        } catch {
            return;
        }
        if (p && typeof name === 'string') {
            p.name = name;
            room.changed();
        }
    });
    session.on('reconnecting', () => room.setPhase('reconnecting', 'ov-reconnecting'));
    session.on('reconnected', () => {
        room.announce(room.t('reconnected'));
        room.setPhase('joined', 'ov-reconnected');
    });
    session.on('sessionDisconnected', (e) => room.ended(e.reason));
    session.on('exception', (e) => room.fire('ov-exception', { exception: e }));
}
