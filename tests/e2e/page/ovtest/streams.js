// Streams in window.ovtest: changing the local publisher's stream and reading
// what the SDK holds for local and remote streams.
//   publishAudio(b) / publishVideo(b)    → remote streamPropertyChanged
//   replaceVideoTrack({width, height})   publisher.replaceTrack(<moving canvas track>)
//   publishSecond()                      a second publish() on one connection (refused)
//   listenSpeaking({interval, threshold})   records publisherStart/StopSpeaking
//   remoteStream(streamId) / localStream()
// Calls that talk to the server settle ({ok, error: {name, code, message, …}}), never reject.
(() => {
    'use strict';

    const { state, plain, settle, record, requireSession, requirePublisher } = window.__ovtest;
    const ovtest = window.ovtest;

    /** A 15 fps canvas track of the given size whose picture keeps changing. */
    function canvasTrack(width, height) {
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const ctx = canvas.getContext('2d');
        let n = 0;
        const draw = () => {
            n++;
            ctx.fillStyle = `hsl(${(n * 7) % 360}, 80%, 50%)`;
            ctx.fillRect(0, 0, width, height);
            ctx.fillStyle = '#fff';
            ctx.fillRect((n * 4) % width, (n * 3) % height, 20, 20);
        };
        draw();
        const timer = setInterval(draw, 66);
        const track = canvas.captureStream(15).getVideoTracks()[0];
        track.addEventListener('ended', () => clearInterval(timer));
        return { track, stop: () => clearInterval(timer) };
    }

    Object.assign(ovtest, {
        /** publisher.publishAudio(enabled) (synchronous in the SDK). */
        publishAudio(enabled) {
            requirePublisher().publishAudio(enabled);
            return { audioActive: state.publisher.stream.audioActive };
        },

        /** publisher.publishVideo(enabled). Never rejects. */
        async publishVideo(enabled, { timeoutMs = 10_000 } = {}) {
            const r = await settle(requirePublisher().publishVideo(enabled), timeoutMs, 'publisher.publishVideo()');
            return { ...r, value: undefined, videoActive: state.publisher.stream.videoActive };
        },

        /** publisher.replaceTrack(<canvas track width x height>). Never rejects; returns the new track's label. */
        async replaceVideoTrack({ width = 160, height = 120, timeoutMs = 10_000 } = {}) {
            const publisher = requirePublisher();
            const { track, stop } = canvasTrack(width, height);
            const r = await settle(publisher.replaceTrack(track), timeoutMs, 'publisher.replaceTrack()');
            if (!r.ok) stop();
            return { ...r, value: undefined, label: track.label, settings: plain(track.getSettings()) };
        },

        /**
         * A second session.publish() on the already publishing connection (must be refused).
         * Restores the first publisher as the connection's stream afterwards (the SDK
         * replaces Connection.stream before asking the server). Never rejects.
         */
        async publishSecond({ timeoutMs = 15_000 } = {}) {
            const session = requireSession();
            const first = requirePublisher();
            const init = await settle(
                state.OV.initPublisherAsync(undefined, {
                    audioSource: false,
                    publishAudio: false,
                    resolution: '320x240',
                    frameRate: 15
                }),
                timeoutMs,
                'OV.initPublisherAsync()'
            );
            if (!init.ok) return { ...init, stage: 'initPublisher' };
            const second = init.value;
            const r = await settle(session.publish(second), timeoutMs, 'session.publish() (second)');
            try {
                second.stream.disposeWebRtcPeer();
            } catch (e) {
                // nothing to dispose
            }
            second.stream.getMediaStream().getTracks().forEach((t) => t.stop());
            session.connection.stream = first.stream;
            return { ...r, value: undefined, stage: 'publish' };
        },

        /**
         * Records publisherStartSpeaking / publisherStopSpeaking (client-side hark on
         * every stream with audio, local and remote), after
         * OV.setAdvancedConfiguration({publisherSpeakingEventsOptions: {interval, threshold}}).
         */
        listenSpeaking({ interval = 100, threshold = -50 } = {}) {
            const session = requireSession();
            state.OV.setAdvancedConfiguration({ publisherSpeakingEventsOptions: { interval, threshold } });
            for (const type of ['publisherStartSpeaking', 'publisherStopSpeaking']) {
                session.on(type, (e) => record(type, { connectionId: e.connection.connectionId, streamId: e.streamId }));
            }
            return true;
        },

        /** What the SDK holds for a remote stream (or null). */
        remoteStream(streamId) {
            const entry = state.subscribers.get(streamId);
            if (!entry) return null;
            const st = entry.stream;
            const track = st.getMediaStream() ? st.getMediaStream().getVideoTracks()[0] : undefined;
            return {
                streamId: st.streamId,
                connectionId: st.connection.connectionId,
                destroyed: entry.destroyed,
                hasAudio: st.hasAudio,
                hasVideo: st.hasVideo,
                audioActive: st.audioActive,
                videoActive: st.videoActive,
                typeOfVideo: st.typeOfVideo,
                frameRate: st.frameRate,
                videoDimensions: plain(st.videoDimensions),
                videoTrackEnabled: track ? track.enabled : null
            };
        },

        /** What the SDK holds for the local published stream. */
        localStream() {
            const st = requirePublisher().stream;
            return {
                streamId: st.streamId,
                audioActive: st.audioActive,
                videoActive: st.videoActive,
                typeOfVideo: st.typeOfVideo,
                videoDimensions: plain(st.videoDimensions),
                published: st.isLocalStreamPublished
            };
        }
    });
})();
