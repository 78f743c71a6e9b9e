// The server's notifications (protocol spec §4) as Session events: connections and
// streams coming and going, signals, property changes, ICE candidates for our peers.

import { Connection } from './connection.mjs';
import { ConnectionEvent, ConnectionPropertyChangedEvent, ExceptionEvent, NetworkQualityLevelChangedEvent, RecordingEvent, SignalEvent, SpeechToTextEvent, StreamEvent } from './events.mjs';
import { ExceptionEventName } from './enums.mjs';

/** A notification from the server (protocol spec §4). @param {any} s the Session @param {string} method @param {any} p */
export function handleNotification(s, method, p) {
    /** @type {Record<string, (s: any, p: any) => void>} */
    const handlers = {
        participantJoined: onParticipantJoined,
        participantPublished: onParticipantPublished,
        participantUnpublished: onParticipantUnpublished,
        participantLeft: onParticipantLeft,
        participantEvicted: onParticipantEvicted,
        sendMessage: onNewMessage,
        streamPropertyChanged: onStreamPropertyChanged,
        connectionPropertyChanged: onConnectionPropertyChanged,
        networkQualityLevelChanged: onNetworkQualityLevelChanged,
        iceCandidate: recvIceCandidate,
        recordingStarted: (s, e) => s.emitEvent('recordingStarted', [new RecordingEvent(s, 'recordingStarted', e.id, e.name)]),
        recordingStopped: (s, e) => s.emitEvent('recordingStopped', [new RecordingEvent(s, 'recordingStopped', e.id, e.name, e.reason)]),
        broadcastStarted: (s) => s.emitEvent('broadcastStarted', []),
        broadcastStopped: (s) => s.emitEvent('broadcastStopped', []),
        speechToTextMessage: (s, e) => {
            const c = s.findConnection(e.connectionId);
            if (c) s.emitEvent('speechToTextMessage', [new SpeechToTextEvent(s, c, e.text, String(e.reason).toLowerCase(), e.raw, e.lang)]);
        },
        speechToTextDisconnected: (s, e) =>
            s.emitEvent('exception', [new ExceptionEvent(s, ExceptionEventName.SPEECH_TO_TEXT_DISCONNECTED, s, e.message)]),
        masterNodeCrashedNotification: (s) => {
            s.onLostConnection('nodeCrashed');
            s.openvidu.closeWs(4103, 'Master Node has crashed');
        }
    };
    const h = handlers[method];
    if (h && s.connection && !s.connection.disposed) h(s, p);
}

/** @param {any} s the Session @param {any} e */
function onParticipantJoined(s, e) {
    if (s.findConnection(e.id)) return;
    const c = new Connection(s, e);
    s.remoteConnections.set(e.id, c);
    s.emitEvent('connectionCreated', [new ConnectionEvent(false, s, 'connectionCreated', c, '')]);
}

/** @param {any} s the Session @param {any} e */
function onParticipantPublished(s, e) {
    let c = s.remoteConnections.get(e.id);
    if (c) {
        e.metadata = c.data;
        c.remoteOptions = e;
        c.initRemoteStreams(e.streams);
    } else {
        c = new Connection(s, e);
        s.remoteConnections.set(c.connectionId, c);
    }
    const stream = /** @type {any} */ (c.stream);
    if (!s.remoteStreamsCreated.get(stream.streamId)) {
        s.emitEvent('streamCreated', [new StreamEvent(false, s, 'streamCreated', stream, '')]);
    }
    s.remoteStreamsCreated.set(stream.streamId, true);
}

/** @param {any} s the Session @param {{connectionId: string, reason: string}} e */
function onParticipantUnpublished(s, e) {
    if (e.connectionId === s.connection.connectionId) return s.stopPublisherStream(e.reason);
    const c = s.remoteConnections.get(e.connectionId);
    if (!c || !c.stream) return;
    const stream = c.stream;
    s.streamDestroyed(stream, e.reason);
    s.remoteStreamsCreated.delete(stream.streamId);
    c.removeStream();
}

/** @param {any} s the Session @param {{connectionId: string, reason: string}} e */
function onParticipantLeft(s, e) {
    const c = s.remoteConnections.get(e.connectionId);
    if (!c) return;
    if (c.stream) {
        s.streamDestroyed(c.stream, e.reason);
        s.remoteStreamsCreated.delete(c.stream.streamId);
    }
    c.dispose();
    s.remoteConnections.delete(c.connectionId);
    s.emitEvent('connectionDestroyed', [new ConnectionEvent(false, s, 'connectionDestroyed', c, e.reason)]);
}

/** @param {any} s the Session @param {{connectionId: string, reason: string}} e */
function onParticipantEvicted(s, e) {
    if (e.connectionId === s.connection.connectionId && s.sessionId && !s.connection.disposed) s.leave(true, e.reason);
}

/** @param {any} s the Session @param {{type?: string, data?: string, from?: string}} e */
function onNewMessage(s, e) {
    const type = e.type ? e.type.replace(/^signal:/, '') : undefined;
    let from;
    if (e.from) {
        from = s.findConnection(e.from);
        if (!from) return;
    }
    s.emitEvent('signal', [new SignalEvent(s, type, e.data, from)]);
    if (e.type && e.type !== 'signal') s.emitEvent(e.type, [new SignalEvent(s, type, e.data, from)]);
}

/** @param {any} s the Session @param {any} e */
function onStreamPropertyChanged(s, e) {
    const c = s.findConnection(e.connectionId);
    const stream = c && c.stream;
    if (!stream || stream.streamId !== e.streamId) return;
    let oldValue;
    let value = e.newValue;
    switch (e.property) {
        case 'audioActive':
            oldValue = stream.audioActive;
            value = value === 'true' || value === true;
            stream.audioActive = value;
            break;
        case 'videoActive': {
            oldValue = stream.videoActive;
            value = value === 'true' || value === true;
            stream.videoActive = value;
            const track = stream.getMediaStream() && stream.getMediaStream().getVideoTracks()[0];
            if (track && !track.enabled && value) track.enabled = true;
            break;
        }
        case 'videoTrack':
        case 'audioTrack':
            value = typeof value === 'string' ? JSON.parse(value) : value;
            break;
        case 'videoDimensions':
            oldValue = stream.videoDimensions;
            value = JSON.parse(JSON.parse(value));
            stream.videoDimensions = value;
            break;
        case 'filter':
            oldValue = stream.filter;
            stream.filter = value && Object.keys(value).length > 0 ? { ...value, stream } : undefined;
            value = stream.filter;
            break;
    }
    stream.propertyChanged(e.property, value, oldValue, e.reason);
}

/** @param {any} s the Session @param {{property: string, newValue: any}} e */
function onConnectionPropertyChanged(s, e) {
    const c = s.connection;
    let oldValue;
    let value = e.newValue;
    if (e.property === 'role') {
        oldValue = c.role;
        c.role = value;
        if (c.localOptions) c.localOptions.role = value;
    } else if (e.property === 'record') {
        oldValue = c.record;
        value = value === 'true' || value === true;
        c.record = value;
        if (c.localOptions) c.localOptions.record = value;
    }
    s.emitEvent('connectionPropertyChanged', [new ConnectionPropertyChangedEvent(s, c, e.property, value, oldValue)]);
}

/** @param {any} s the Session @param {{connectionId: string, newValue: number, oldValue: number}} e */
function onNetworkQualityLevelChanged(s, e) {
    const c = s.findConnection(e.connectionId);
    if (c) s.emitEvent('networkQualityLevelChanged', [new NetworkQualityLevelChangedEvent(s, e.newValue, e.oldValue, c)]);
}

/** @param {any} s the Session @param {any} e an `iceCandidate` of the server, for the stream of `senderConnectionId` */
function recvIceCandidate(s, e) {
    const c = s.findConnection(e.senderConnectionId);
    const peer = c && c.stream && c.stream.getWebRtcPeer();
    if (peer) peer.addIceCandidate({ candidate: e.candidate, sdpMid: e.sdpMid, sdpMLineIndex: e.sdpMLineIndex }).catch(() => {});
}
