// A Connection: one participant of the session, ours (the joinRoom result, which has a
// `role`) or a remote one (joinRoom's `value`, participantJoined, participantPublished).

import { Stream } from './stream.mjs';
import { ExceptionEvent } from './events.mjs';
import { ExceptionEventName } from './enums.mjs';

export class Connection {
    /** @param {any} session @param {any} options the server's connection object */
    constructor(session, options) {
        /** @private */
        this.session = session;
        /** @type {string} */
        this.connectionId = options.id;
        /** @type {number} */
        this.creationTime = options.createdAt;
        /** @type {string} clientData%/%serverData, as the server joins them */
        this.data = options.metadata;
        /** @type {Stream | undefined} */
        this.stream = undefined;
        this.disposed = false;
        /** @type {any} */
        this.localOptions = undefined;
        /** @type {any} */
        this.remoteOptions = undefined;
        /** @type {string} role of the local connection only */
        this.role = '';
        this.record = false;
        /** @type {string} the RPC session id, sent back in `connect` after a socket drop */
        this.rpcSessionId = '';
        if (options.role) {
            // openvidu-browser's rule: only the local connection has a role.
            this.localOptions = options;
            this.rpcSessionId = options.sessionId;
            this.role = options.role;
            this.record = options.record;
        } else {
            this.remoteOptions = options;
            if (options.streams) this.initRemoteStreams(options.streams);
        }
    }

    /** The (one) stream of a remote connection, from the server's stream objects. @param {any[]} streams */
    initRemoteStreams(streams) {
        for (const o of streams) {
            const stream = new Stream(this.session, {
                id: o.id,
                createdAt: o.createdAt,
                connection: this,
                hasAudio: o.hasAudio,
                hasVideo: o.hasVideo,
                audioActive: o.audioActive,
                videoActive: o.videoActive,
                typeOfVideo: o.typeOfVideo,
                frameRate: o.frameRate,
                videoDimensions: o.videoDimensions ? JSON.parse(o.videoDimensions) : undefined,
                filter: o.filter || undefined
            });
            this.addStream(stream);
        }
    }

    /** @param {Stream} stream */
    addStream(stream) {
        stream.connection = this;
        this.stream = stream;
    }

    removeStream() {
        this.stream = undefined;
    }

    dispose() {
        this.disposed = true;
        this.removeStream();
    }

    /**
     * One local ICE candidate of this connection's stream. `endpointName` is the
     * stream owner's connection id: ours for our publisher, the remote publisher's for a
     * subscription (protocol spec §3.7). A refused candidate is an `exception` event.
     * @param {RTCIceCandidate} candidate
     */
    sendIceCandidate(candidate) {
        if (this.disposed) return;
        const session = this.session;
        session.openvidu
            .rpc('onIceCandidate', {
                endpointName: this.connectionId,
                candidate: candidate.candidate,
                sdpMid: candidate.sdpMid,
                sdpMLineIndex: candidate.sdpMLineIndex
            })
            .catch((/** @type {any} */ error) => {
                if (!session.connection || session.connection.disposed) return; // left meanwhile
                session.emitEvent('exception', [
                    new ExceptionEvent(
                        session,
                        ExceptionEventName.ICE_CANDIDATE_ERROR,
                        session,
                        'There was an unexpected error on the server-side processing an ICE candidate generated and sent by the client-side',
                        error
                    )
                ]);
            });
    }
}
