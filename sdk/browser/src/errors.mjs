// OpenViduError and its names, exactly as openvidu-browser 2.32 has them: applications
// compare `error.name` with these strings, so the values are part of the API.

/** The names an OpenViduError can have (the enum of openvidu-browser). */
export const OpenViduErrorName = Object.freeze({
    BROWSER_NOT_SUPPORTED: 'BROWSER_NOT_SUPPORTED',
    DEVICE_ACCESS_DENIED: 'DEVICE_ACCESS_DENIED',
    DEVICE_ALREADY_IN_USE: 'DEVICE_ALREADY_IN_USE',
    SCREEN_CAPTURE_DENIED: 'SCREEN_CAPTURE_DENIED',
    SCREEN_SHARING_NOT_SUPPORTED: 'SCREEN_SHARING_NOT_SUPPORTED',
    SCREEN_EXTENSION_NOT_INSTALLED: 'SCREEN_EXTENSION_NOT_INSTALLED',
    SCREEN_EXTENSION_DISABLED: 'SCREEN_EXTENSION_DISABLED',
    INPUT_VIDEO_DEVICE_NOT_FOUND: 'INPUT_VIDEO_DEVICE_NOT_FOUND',
    INPUT_AUDIO_DEVICE_NOT_FOUND: 'INPUT_AUDIO_DEVICE_NOT_FOUND',
    INPUT_AUDIO_DEVICE_GENERIC_ERROR: 'INPUT_AUDIO_DEVICE_GENERIC_ERROR',
    NO_INPUT_SOURCE_SET: 'NO_INPUT_SOURCE_SET',
    PUBLISHER_PROPERTIES_ERROR: 'PUBLISHER_PROPERTIES_ERROR',
    OPENVIDU_PERMISSION_DENIED: 'OPENVIDU_PERMISSION_DENIED',
    OPENVIDU_NOT_CONNECTED: 'OPENVIDU_NOT_CONNECTED',
    VIRTUAL_BACKGROUND_ERROR: 'VIRTUAL_BACKGROUND_ERROR',
    GENERIC_ERROR: 'GENERIC_ERROR'
});

/**
 * An SDK error. Like openvidu-browser's it is a plain object with `name` and `message`,
 * not an `Error` subclass (applications test `error.name`, some `instanceof OpenViduError`).
 */
export class OpenViduError {
    /** @param {string} name one of OpenViduErrorName @param {string} message */
    constructor(name, message) {
        this.name = name;
        this.message = message;
    }
}

/** The error of every call that needs `Session.connect()` first. */
export function notConnected() {
    return new OpenViduError(
        OpenViduErrorName.OPENVIDU_NOT_CONNECTED,
        "There is no connection to the session. Method 'Session.connect' must be successfully completed first"
    );
}

/**
 * The rejection of a moderation or publish call: a JSON-RPC 401 becomes
 * OPENVIDU_PERMISSION_DENIED with `message`, anything else stays the error itself.
 * @param {any} error
 * @param {string} message
 */
export function permissionError(error, message) {
    return error && error.code === 401 ? new OpenViduError(OpenViduErrorName.OPENVIDU_PERMISSION_DENIED, message) : error;
}
