// The local media of a room: the camera Publisher (made at the pre-join step so it can be
// previewed, reused at join), device switching with replaceTrack, and screen sharing in
// the 2.32-compatible two-connection mode (components spec §2.1): a second OpenVidu +
// Session connected on demand with its own token and metadata type SCREEN, the same
// participantId, never subscribing. The SDK is whatever constructor the room holds.

/**
 * A camera Publisher with the room's choices; falls back to audio only, then video only,
 * when a device is missing or refused. Resolves null when there is nothing to publish.
 * @param {any} room
 */
export async function makePublisher(room) {
    const c = room.choices;
    const base = {
        publishAudio: c.audioOn,
        publishVideo: c.videoOn,
        resolution: room.resolution,
        frameRate: room.frameRate,
        mirror: true,
        insertMode: 'APPEND'
    };
    const audioSource = room.wantAudio ? c.audioDevice || undefined : false;
    const videoSource = room.wantVideo ? c.videoDevice || undefined : false;
    const attempts = [
        [audioSource, videoSource],
        [audioSource, false],
        [false, videoSource]
    ].filter(([a, v]) => a !== false || v !== false);
    let lastError = null;
    for (const [a, v] of attempts) {
        try {
            return await room.ov.initPublisherAsync(undefined, { ...base, audioSource: a, videoSource: v });
        } catch (err) {
            lastError = err;
        }
    }
    if (lastError) room.fire('ov-error', { error: lastError, stage: 'media' });
    return null;
}

/**
 * Replaces the camera's or microphone's track by one of device `deviceId` (the Publisher
 * stays published: RTCRtpSender.replaceTrack through the SDK).
 * @param {any} room @param {'videoinput'|'audioinput'} kind @param {string} deviceId
 */
export async function switchDevice(room, kind, deviceId) {
    const pub = room.publisher;
    if (!pub) return;
    const [w, h] = String(room.resolution).split('x').map(Number);
    const constraints =
        kind === 'videoinput'
            ? { video: { deviceId: { exact: deviceId }, width: w || undefined, height: h || undefined, frameRate: room.frameRate } }
            : { audio: { deviceId: { exact: deviceId } } };
    const ms = await navigator.mediaDevices.getUserMedia(constraints);
    const track = kind === 'videoinput' ? ms.getVideoTracks()[0] : ms.getAudioTracks()[0];
    await pub.replaceTrack(track);
}

/** Starts sharing the screen (connecting the screen session first if needed). @param {any} room */
export async function startScreen(room) {
    const s = room.screenShare;
    if (!s.ov) s.ov = new room.OpenVidu();
    const publisher = await s.ov.initPublisherAsync(undefined, {
        videoSource: 'screen',
        audioSource: false,
        publishAudio: false,
        publishVideo: true,
        mirror: false,
        insertMode: 'APPEND'
    });
    if (!s.session) {
        const token = await room.screenToken();
        const session = s.ov.initSession();
        await session.connect(token, { clientData: room.local.name + '_SCREEN', participantId: room.participantId, type: 'SCREEN' });
        s.session = session;
        room.ownConnectionIds.add(session.connection.connectionId);
        room.local.connectionIds.add(session.connection.connectionId);
    }
    publisher.on('streamDestroyed', () => {
        if (s.publisher !== publisher) return; // our own stopScreen cleared it first
        s.publisher = null;
        if (room.local) room.local.screen = null;
        room.changed();
    });
    await s.session.publish(publisher);
    s.publisher = publisher;
    room.local.screen = { stream: publisher.stream, manager: publisher, audioActive: false, videoActive: true };
    // The browser's own "stop sharing" ends the track.
    publisher.stream.getMediaStream()?.getVideoTracks()[0]?.addEventListener('ended', () => stopScreen(room));
    room.changed();
}

/** Stops sharing (the screen connection stays until leave, as in 2.32). @param {any} room */
export async function stopScreen(room) {
    const s = room.screenShare;
    const pub = s.publisher;
    s.publisher = null;
    if (room.local) room.local.screen = null;
    if (pub && s.session) {
        try {
            await s.session.unpublish(pub);
        } catch {
            /* already gone */
        }
    }
    pub?.stream?.getMediaStream()?.getTracks().forEach((t) => t.stop());
    room.changed();
}

/** Leaves the screen session too. @param {any} room */
export function closeScreen(room) {
    const s = room.screenShare;
    s.publisher?.stream?.getMediaStream()?.getTracks().forEach((t) => t.stop());
    try {
        s.session?.disconnect();
    } catch {
        /* already closed */
    }
    room.screenShare = { ov: null, session: null, publisher: null };
}
