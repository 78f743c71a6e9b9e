// The string enums of openvidu-browser 2.32 that applications pass or compare.

export const TypeOfVideo = Object.freeze({ CAMERA: 'CAMERA', SCREEN: 'SCREEN', CUSTOM: 'CUSTOM', IPCAM: 'IPCAM' });

export const VideoInsertMode = Object.freeze({
    AFTER: 'AFTER',
    APPEND: 'APPEND',
    BEFORE: 'BEFORE',
    PREPEND: 'PREPEND',
    REPLACE: 'REPLACE'
});

export const ExceptionEventName = Object.freeze({
    ICE_CANDIDATE_ERROR: 'ICE_CANDIDATE_ERROR',
    ICE_CONNECTION_FAILED: 'ICE_CONNECTION_FAILED',
    ICE_CONNECTION_DISCONNECTED: 'ICE_CONNECTION_DISCONNECTED',
    NO_STREAM_PLAYING_EVENT: 'NO_STREAM_PLAYING_EVENT',
    SPEECH_TO_TEXT_DISCONNECTED: 'SPEECH_TO_TEXT_DISCONNECTED'
});

/** Our version is the protocol's: the server compares it with its own (2.32.x is silent). */
export const LIBRARY_VERSION = '2.32.2';
