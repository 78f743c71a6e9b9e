// Local media: the constraints openvidu-browser derives from PublisherProperties
// (resolution '640x480' → ideal width/height, frameRate, deviceId exact), camera and
// microphone through getUserMedia, the screen through getDisplayMedia (videoSource
// 'screen' or 'window'), and getUserMedia errors as OpenViduErrors of the same names.

import { OpenViduError, OpenViduErrorName } from './errors.mjs';

/** @param {any} src */
export function isScreenSource(src) {
    return src === 'screen' || src === 'window';
}

/**
 * The constraints of `props`, and the tracks the application passed itself.
 * @param {any} props PublisherProperties
 * @returns {{audioTrack?: MediaStreamTrack, videoTrack?: MediaStreamTrack, constraints: {audio: any, video: any}}}
 */
export function mediaConstraints(props) {
    const { audioSource, videoSource } = props;
    const noAudio = audioSource === null || audioSource === false;
    const noVideo = videoSource === null || videoSource === false;
    if (noAudio && noVideo) {
        throw new OpenViduError(OpenViduErrorName.NO_INPUT_SOURCE_SET, "Properties 'audioSource' and 'videoSource' cannot be set to false or null at the same time");
    }
    /** @type {{audioTrack?: MediaStreamTrack, videoTrack?: MediaStreamTrack, constraints: {audio: any, video: any}}} */
    const out = { constraints: { audio: noAudio ? false : true, video: noVideo ? false : { width: { ideal: 640 }, height: { ideal: 480 } } } };
    if (audioSource instanceof MediaStreamTrack) out.audioTrack = audioSource;
    if (videoSource instanceof MediaStreamTrack) out.videoTrack = videoSource;
    if (!noVideo) {
        if (props.resolution) {
            const [w, h] = String(props.resolution).toLowerCase().split('x').map(Number);
            out.constraints.video = { width: { ideal: w }, height: { ideal: h } };
        }
        if (props.frameRate) out.constraints.video.frameRate = { ideal: props.frameRate };
    }
    if (typeof audioSource === 'string' && audioSource !== 'screen') out.constraints.audio = { deviceId: { exact: audioSource } };
    if (typeof videoSource === 'string' && !isScreenSource(videoSource)) {
        out.constraints.video.deviceId = { exact: videoSource };
        if (audioSource === 'screen') out.constraints.audio = false;
    }
    return out;
}

/**
 * A getUserMedia / getDisplayMedia failure as the OpenViduError openvidu-browser gives.
 * @param {any} error
 * @param {boolean} screen
 * @param {boolean} [audioOnly] the failed request asked for audio only
 */
export function deviceError(error, screen, audioOnly = false) {
    const name = String((error && error.name) || '').toLowerCase();
    const message = String(error);
    const N = OpenViduErrorName;
    if (screen && !audioOnly) return new OpenViduError(N.SCREEN_CAPTURE_DENIED, message);
    switch (name) {
        case 'notfounderror':
            return new OpenViduError(audioOnly ? N.INPUT_AUDIO_DEVICE_NOT_FOUND : N.INPUT_VIDEO_DEVICE_NOT_FOUND, message);
        case 'notallowederror':
        case 'permissiondeniederror':
        case 'securityerror':
            return new OpenViduError(N.DEVICE_ACCESS_DENIED, message);
        case 'overconstrainederror': {
            const c = String((error && error.constraint) || '');
            if (c.toLowerCase() === 'deviceid') {
                return new OpenViduError(audioOnly ? N.INPUT_AUDIO_DEVICE_NOT_FOUND : N.INPUT_VIDEO_DEVICE_NOT_FOUND, message);
            }
            return new OpenViduError(N.PUBLISHER_PROPERTIES_ERROR, `Input device doesn't support the value passed for constraint '${c}'`);
        }
        case 'aborterror':
        case 'notreadableerror':
            return new OpenViduError(N.DEVICE_ALREADY_IN_USE, message);
        default:
            return new OpenViduError(audioOnly ? N.INPUT_AUDIO_DEVICE_GENERIC_ERROR : N.GENERIC_ERROR, message);
    }
}

/**
 * getUserMedia; when a combined request fails with NotFound / Overconstrained, asks
 * for video alone to tell a missing microphone from a missing camera.
 * @param {MediaStreamConstraints} constraints
 */
async function userMedia(constraints) {
    try {
        return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
        const name = String(/** @type {any} */ (error).name).toLowerCase();
        if ((name === 'notfounderror' || name === 'overconstrainederror') && constraints.audio && constraints.video) {
            const probe = await navigator.mediaDevices.getUserMedia({ audio: false, video: constraints.video }).catch(() => null);
            if (probe) {
                probe.getTracks().forEach((t) => t.stop());
                throw deviceError(error, false, true);
            }
        }
        throw deviceError(error, false);
    }
}

/**
 * The MediaStream `props` ask for: given tracks, the screen (plus the microphone unless
 * audioSource is false or 'screen'), or camera and microphone.
 * @param {any} props PublisherProperties
 * @param {(() => void)} [asking] called just before the browser may prompt
 * @returns {Promise<MediaStream>}
 */
export async function getMedia(props, asking) {
    const c = mediaConstraints(props);
    const provided = () => {
        const ms = new MediaStream();
        if (c.videoTrack) ms.addTrack(c.videoTrack);
        if (c.audioTrack) ms.addTrack(c.audioTrack);
        return ms;
    };
    if ((c.videoTrack && c.audioTrack) || (c.audioTrack && c.constraints.video === false) || (c.videoTrack && c.constraints.audio === false)) {
        return provided();
    }
    if (c.videoTrack) c.constraints.video = false;
    if (c.audioTrack) c.constraints.audio = false;
    if (asking) asking();
    let ms;
    if (isScreenSource(props.videoSource)) {
        if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
            throw new OpenViduError(OpenViduErrorName.SCREEN_SHARING_NOT_SUPPORTED, 'This browser cannot share its screen');
        }
        try {
            ms = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: props.audioSource === 'screen' });
        } catch (error) {
            throw deviceError(error, true);
        }
        const wantsMic = props.audioSource !== 'screen' && c.constraints.audio !== false && !c.audioTrack;
        if (wantsMic) {
            try {
                const mic = await navigator.mediaDevices.getUserMedia({ audio: c.constraints.audio, video: false });
                ms.addTrack(mic.getAudioTracks()[0]);
            } catch (error) {
                ms.getTracks().forEach((t) => t.stop());
                throw deviceError(error, false, true);
            }
        }
    } else {
        ms = await userMedia(c.constraints);
    }
    if (c.videoTrack) ms.addTrack(c.videoTrack);
    if (c.audioTrack) ms.addTrack(c.audioTrack);
    return ms;
}

/**
 * Cameras and microphones (labels are empty until the page was granted access).
 * @returns {Promise<{kind: string, deviceId: string, label: string}[]>}
 */
export async function getDevices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    return all
        .filter((d) => d.kind === 'audioinput' || d.kind === 'videoinput')
        .map((d) => ({ kind: d.kind, deviceId: d.deviceId, label: d.label }));
}
