// Media numbers of window.ovtest, from RTCPeerConnection.getStats():
//   stats()            inbound-rtp numbers of every live subscriber (+ firstFrameDelayMs)
//   publisherStats()   outbound-rtp numbers of the local publisher
// and, for session.js, watchFirstFrame(entry): when a subscriber decodes its first frame.
(() => {
    'use strict';

    const kit = window.__ovtest;
    const { now, state, pcId } = kit;
    const ovtest = window.ovtest;

    /**
     * The `type` ('inbound-rtp' / 'outbound-rtp') reports of `pc` by kind: {video, audio}
     * (null when absent), and `codecs`: the codec reports by id.
     */
    async function rtpReports(pc, type) {
        const out = { video: null, audio: null, codecs: new Map() };
        (await pc.getStats()).forEach((r) => {
            if (r.type === type && (r.kind === 'video' || r.kind === 'audio')) out[r.kind] = r;
            if (r.type === 'codec') out.codecs.set(r.id, r);
        });
        return out;
    }

    /** The codec of an RTP report, from its codec report: {codec: 'video/VP9' and the like, fmtp}. */
    function codecOf(report, codecs) {
        const c = codecs.get(report.codecId);
        return { codec: c?.mimeType ?? null, fmtp: c?.sdpFmtpLine ?? null };
    }

    /** Sets entry.firstFrameAt once the subscriber has decoded a video frame (polled every 50 ms, for 30 s). */
    function watchFirstFrame(entry) {
        const deadline = now() + 30_000;
        const poll = async () => {
            if (entry.destroyed || entry.firstFrameAt !== null || now() > deadline) return;
            try {
                const pc = entry.stream.getRTCPeerConnection();
                if (pc) {
                    const { video } = await rtpReports(pc, 'inbound-rtp');
                    if (video && video.framesDecoded > 0 && entry.firstFrameAt === null) entry.firstFrameAt = now();
                }
            } catch (e) {
                // no peer connection yet
            }
            if (entry.firstFrameAt === null) setTimeout(poll, 50);
        };
        setTimeout(poll, 50);
    }

    Object.assign(ovtest, {
        /** inbound-rtp numbers of every subscriber whose stream was not destroyed. */
        async stats() {
            const out = [];
            for (const [streamId, s] of state.subscribers) {
                if (s.destroyed) continue;
                const entry = {
                    streamId,
                    connectionId: s.connectionId,
                    data: s.data,
                    createdAt: s.createdAt,
                    firstFrameAt: s.firstFrameAt,
                    firstFrameDelayMs: s.firstFrameAt === null ? null : s.firstFrameAt - s.createdAt,
                    subscribeError: s.subscribeError,
                    video: null,
                    audio: null
                };
                try {
                    const pc = s.stream.getRTCPeerConnection();
                    entry.pcId = pcId(pc);
                    entry.iceConnectionState = pc.iceConnectionState;
                    entry.connectionState = pc.connectionState;
                    const { video, audio, codecs } = await rtpReports(pc, 'inbound-rtp');
                    if (video) {
                        entry.video = {
                            /** When the report was taken (ms, page clock): rates are measured on it. */
                            timestamp: video.timestamp,
                            framesDecoded: video.framesDecoded || 0,
                            keyFramesDecoded: video.keyFramesDecoded || 0,
                            packetsReceived: video.packetsReceived || 0,
                            bytesReceived: video.bytesReceived || 0,
                            frameWidth: video.frameWidth,
                            frameHeight: video.frameHeight,
                            pliCount: video.pliCount,
                            firCount: video.firCount,
                            ...codecOf(video, codecs)
                        };
                    }
                    if (audio) {
                        entry.audio = {
                            timestamp: audio.timestamp,
                            packetsReceived: audio.packetsReceived || 0,
                            packetsLost: audio.packetsLost || 0,
                            /** Sum of the squared decoded samples' level (0-1) times their duration (s). */
                            totalAudioEnergy: audio.totalAudioEnergy || 0
                        };
                    }
                } catch (e) {
                    entry.error = String(e);
                }
                out.push(entry);
            }
            return out;
        },

        /** outbound-rtp numbers of the local publisher (pliCount = keyframe requests received). */
        async publisherStats() {
            if (!state.publisher || !state.publisher.stream) return null;
            const out = { streamId: state.publisher.stream.streamId, video: null, audio: null };
            try {
                const pc = state.publisher.stream.getRTCPeerConnection();
                out.pcId = pcId(pc);
                out.iceConnectionState = pc.iceConnectionState;
                const { video, audio, codecs } = await rtpReports(pc, 'outbound-rtp');
                if (video) {
                    out.video = {
                        framesEncoded: video.framesEncoded,
                        keyFramesEncoded: video.keyFramesEncoded,
                        pliCount: video.pliCount,
                        firCount: video.firCount,
                        nackCount: video.nackCount,
                        packetsSent: video.packetsSent
                    };
                }
                if (audio) out.audio = { packetsSent: audio.packetsSent, ...codecOf(audio, codecs) };
            } catch (e) {
                out.error = String(e);
            }
            return out;
        },

        /**
         * The video encodings the local publisher sends, one per outbound-rtp report (one per
         * simulcast layer): [{rid, frameWidth, frameHeight, framesEncoded, bytesSent,
         * qualityLimitationReason, active}], by rid.
         */
        async publisherLayers() {
            if (!state.publisher || !state.publisher.stream) return [];
            const out = [];
            const reports = await state.publisher.stream.getRTCPeerConnection().getStats();
            const codecs = new Map();
            reports.forEach((r) => r.type === 'codec' && codecs.set(r.id, r));
            reports.forEach((r) => {
                if (r.type !== 'outbound-rtp' || r.kind !== 'video') return;
                const { rid = null, frameWidth, frameHeight, framesEncoded, bytesSent, qualityLimitationReason, active, scalabilityMode = null } = r;
                const encoder = r.encoderImplementation ?? null;
                out.push({ rid, frameWidth, frameHeight, framesEncoded, bytesSent, qualityLimitationReason, active, scalabilityMode, ...codecOf(r, codecs), encoder });
            });
            return out.sort((a, b) => String(a.rid).localeCompare(String(b.rid)));
        },

        /**
         * The selected ICE candidate pair of every live peer connection of this page (the
         * publisher's and each subscriber's): [{streamId, role, state, local, remote}] where
         * local/remote are {protocol, candidateType, address, port, tcpType, relayProtocol};
         * local/remote are null while no pair is selected.
         */
        async selectedCandidatePairs() {
            const pcs = [];
            if (state.publisher && state.publisher.stream) pcs.push(['publisher', state.publisher.stream]);
            for (const [, s] of state.subscribers) if (!s.destroyed) pcs.push(['subscriber', s.stream]);
            const out = [];
            for (const [role, stream] of pcs) {
                const entry = { streamId: stream.streamId, role, state: null, local: null, remote: null };
                try {
                    const pc = stream.getRTCPeerConnection();
                    entry.state = pc.iceConnectionState;
                    entry.iceServers = pc.getConfiguration().iceServers.flatMap((s) => [s.urls].flat());
                    const reports = new Map();
                    (await pc.getStats()).forEach((r) => reports.set(r.id, r));
                    const transport = [...reports.values()].find((r) => r.type === 'transport');
                    const pair = transport && reports.get(transport.selectedCandidatePairId);
                    const describe = (c) =>
                        c && {
                            protocol: c.protocol,
                            candidateType: c.candidateType,
                            address: c.address,
                            port: c.port,
                            tcpType: c.tcpType ?? null,
                            relayProtocol: c.relayProtocol ?? null
                        };
                    if (pair) {
                        entry.local = describe(reports.get(pair.localCandidateId));
                        entry.remote = describe(reports.get(pair.remoteCandidateId));
                    }
                } catch (e) {
                    entry.error = String(e);
                }
                out.push(entry);
            }
            return out;
        }
    });

    Object.assign(kit, { rtpReports, watchFirstFrame });
})();
