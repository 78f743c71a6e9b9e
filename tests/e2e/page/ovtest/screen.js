// Screen sharing in window.ovtest, the way OpenVidu's tutorial does it: a second
// OpenVidu + Session (a second connection) in this page.
//   shareScreen({token, name})   publishes {videoSource: 'screen'}; its events are tagged src 'screen'
//   screenPublisherStats()       outbound-rtp video numbers of the screen publisher
//   leaveScreen()                disconnects the screen session
(() => {
    'use strict';

    const { state, plain, settle, record, initPublisher, rtpReports, wirePublisher } = window.__ovtest;
    const ovtest = window.ovtest;

    Object.assign(ovtest, {
        /**
         * Connects a second session with `token` and publishes the screen from it,
         * subscribing to nothing. Never rejects: {ok, connectionId, streamId, typeOfVideo,
         * trackLabel, trackSettings} or {ok:false, stage, error}.
         */
        async shareScreen({ token, name = 'screen', timeoutMs = 15_000 } = {}) {
            if (state.screen) throw new Error('this page already shares its screen');
            const OV = new window.OpenVidu();
            const session = OV.initSession();
            const scr = (state.screen = { OV, session, publisher: null });
            session.on('sessionDisconnected', (e) => record('sessionDisconnected', { src: 'screen', reason: e.reason }));
            session.on('connectionCreated', (e) =>
                record('connectionCreated', { src: 'screen', connectionId: e.connection.connectionId })
            );
            const c = await settle(session.connect(token, { clientData: name }), timeoutMs, 'screen session.connect()');
            if (!c.ok) return { ...c, stage: 'connect' };
            const init = await initPublisher(
                OV,
                { videoSource: 'screen', audioSource: false, publishAudio: false, publishVideo: true, frameRate: 15 },
                timeoutMs,
                'OV.initPublisherAsync(screen)'
            );
            if (!init.ok) return { ...init, stage: 'initPublisher' };
            scr.publisher = init.value;
            wirePublisher(scr.publisher, 'screen');
            const pub = await settle(session.publish(scr.publisher), timeoutMs, 'screen session.publish()');
            if (!pub.ok) return { ...pub, stage: 'publish' };
            const track = scr.publisher.stream.getMediaStream().getVideoTracks()[0];
            return {
                ok: true,
                connectionId: session.connection.connectionId,
                streamId: scr.publisher.stream.streamId,
                typeOfVideo: scr.publisher.stream.typeOfVideo,
                trackLabel: track ? track.label : null,
                trackSettings: track ? plain(track.getSettings()) : null
            };
        },

        /** outbound-rtp video numbers of the screen publisher. */
        async screenPublisherStats() {
            if (!state.screen || !state.screen.publisher) return null;
            const pc = state.screen.publisher.stream.getRTCPeerConnection();
            const out = { iceConnectionState: pc.iceConnectionState, video: null };
            const { video } = await rtpReports(pc, 'outbound-rtp');
            if (video) out.video = { framesEncoded: video.framesEncoded, packetsSent: video.packetsSent, frameWidth: video.frameWidth };
            return out;
        },

        leaveScreen() {
            if (!state.screen) return false;
            state.screen.session.disconnect();
            return true;
        }
    });
})();
