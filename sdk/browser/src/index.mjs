// openvidu-rs-browser: the OpenVidu browser SDK of openvidu-rs, with the public API of
// openvidu-browser 2.32 (an application changes only its import or <script src>).

export { OpenVidu } from './openvidu.mjs';
export { Session } from './session.mjs';
export { Publisher } from './publisher.mjs';
export { Subscriber } from './subscriber.mjs';
export { StreamManager } from './stream-manager.mjs';
export { Stream } from './stream.mjs';
export { Connection } from './connection.mjs';
export { OpenViduError, OpenViduErrorName } from './errors.mjs';
export { TypeOfVideo, VideoInsertMode, ExceptionEventName } from './enums.mjs';
export { EventDispatcher, Event, ConnectionEvent, ConnectionPropertyChangedEvent, ExceptionEvent, FilterEvent, NetworkQualityLevelChangedEvent, PublisherSpeakingEvent, RecordingEvent, SessionDisconnectedEvent, SignalEvent, SpeechToTextEvent, StreamEvent, StreamManagerEvent, StreamPropertyChangedEvent, VideoElementEvent } from './events.mjs';
