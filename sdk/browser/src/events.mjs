// The event emitter of Session and StreamManager (on / once / off, as openvidu-browser's
// EventDispatcher) and every event class applications receive, with the same fields.

/** @typedef {(event: any) => void} Handler */

/**
 * on / once / off by event name. Handlers run in registration order; a throwing handler
 * does not stop the others (it is reported asynchronously, like a DOM listener).
 */
export class EventDispatcher {
    constructor() {
        /** @type {Map<string, {handler: Handler, once: boolean}[]>} */
        this.listeners = new Map();
    }

    /** @param {string} type @param {Handler} handler @returns {this} */
    on(type, handler) {
        return this.addListener(type, handler, false);
    }

    /** @param {string} type @param {Handler} handler @returns {this} */
    once(type, handler) {
        return this.addListener(type, handler, true);
    }

    /** Removes `handler`, or every handler of `type` when none is given. @param {string} type @param {Handler} [handler] @returns {this} */
    off(type, handler) {
        const list = this.listeners.get(type);
        if (list) {
            const kept = handler ? list.filter((l) => l.handler !== handler) : [];
            if (kept.length) this.listeners.set(type, kept);
            else this.listeners.delete(type);
        }
        return this;
    }

    /** @param {string} type @param {Handler} handler @param {boolean} once @returns {this} */
    addListener(type, handler, once) {
        const list = this.listeners.get(type) || [];
        list.push({ handler, once });
        this.listeners.set(type, list);
        return this;
    }

    /** How many handlers `type` has. @param {string} type */
    listenerCount(type) {
        return (this.listeners.get(type) || []).length;
    }

    /**
     * Calls the handlers of `type` with the first element of `args` (openvidu-browser's
     * signature: `emitEvent(type, [event])`).
     * @param {string} type
     * @param {any[]} [args]
     */
    emitEvent(type, args = []) {
        const list = this.listeners.get(type);
        if (!list) return;
        const remaining = list.filter((l) => !l.once);
        if (remaining.length !== list.length) {
            if (remaining.length) this.listeners.set(type, remaining);
            else this.listeners.delete(type);
        }
        for (const l of list) {
            try {
                l.handler(args[0]);
            } catch (e) {
                setTimeout(() => {
                    throw e;
                });
            }
        }
    }
}

/** Base of every event: `type`, `target`, `cancelable`, preventDefault(). */
export class Event {
    /**
     * @param {boolean} cancelable
     * @param {any} target
     * @param {string} type
     * @param {() => void} [behavior] what callDefaultBehavior() does unless prevented
     */
    constructor(cancelable, target, type, behavior) {
        this.cancelable = cancelable;
        this.target = target;
        this.type = type;
        this.hasBeenPrevented = false;
        /** @private */
        this.behavior = behavior;
    }

    isDefaultPrevented() {
        return this.hasBeenPrevented;
    }

    /** Stops the SDK's default behavior (e.g. removing a destroyed stream's videos). */
    preventDefault() {
        this.hasBeenPrevented = true;
    }

    callDefaultBehavior() {
        if (!this.hasBeenPrevented && this.behavior) this.behavior();
    }
}

export class ConnectionEvent extends Event {
    /** @param {boolean} cancelable @param {any} target @param {string} type @param {any} connection @param {string} reason */
    constructor(cancelable, target, type, connection, reason) {
        super(cancelable, target, type);
        this.connection = connection;
        this.reason = reason;
    }
}

export class StreamEvent extends Event {
    /**
     * @param {boolean} cancelable
     * @param {any} target
     * @param {string} type
     * @param {any} stream
     * @param {string} reason
     * @param {() => void} [behavior]
     */
    constructor(cancelable, target, type, stream, reason, behavior) {
        super(cancelable, target, type, behavior);
        this.stream = stream;
        this.reason = reason;
    }
}

export class SessionDisconnectedEvent extends Event {
    /** @param {any} target @param {string} reason @param {() => void} [behavior] */
    constructor(target, reason, behavior) {
        super(true, target, 'sessionDisconnected', behavior);
        this.reason = reason;
    }
}

export class SignalEvent extends Event {
    /**
     * `type` is 'signal:' + the signal's type, as openvidu-browser sets it.
     * @param {any} target
     * @param {string | undefined} type the type without its 'signal:' prefix
     * @param {string | undefined} data
     * @param {any} from the sender's Connection (undefined for server signals)
     */
    constructor(target, type, data, from) {
        super(false, target, 'signal');
        if (type) this.type = 'signal:' + type;
        this.data = data;
        this.from = from;
    }
}

export class StreamPropertyChangedEvent extends Event {
    /** @param {any} target @param {any} stream @param {string} changedProperty @param {any} newValue @param {any} oldValue @param {string} reason */
    constructor(target, stream, changedProperty, newValue, oldValue, reason) {
        super(false, target, 'streamPropertyChanged');
        this.stream = stream;
        this.changedProperty = changedProperty;
        this.newValue = newValue;
        this.oldValue = oldValue;
        this.reason = reason;
    }
}

export class ConnectionPropertyChangedEvent extends Event {
    /** @param {any} target @param {any} connection @param {string} changedProperty @param {any} newValue @param {any} oldValue */
    constructor(target, connection, changedProperty, newValue, oldValue) {
        super(false, target, 'connectionPropertyChanged');
        this.connection = connection;
        this.changedProperty = changedProperty;
        this.newValue = newValue;
        this.oldValue = oldValue;
    }
}

export class NetworkQualityLevelChangedEvent extends Event {
    /** @param {any} target @param {number} newValue @param {number} oldValue @param {any} connection */
    constructor(target, newValue, oldValue, connection) {
        super(false, target, 'networkQualityLevelChanged');
        this.newValue = newValue;
        this.oldValue = oldValue;
        this.connection = connection;
    }
}

export class PublisherSpeakingEvent extends Event {
    /** @param {any} target @param {string} type @param {any} connection @param {string} streamId */
    constructor(target, type, connection, streamId) {
        super(false, target, type);
        this.connection = connection;
        this.streamId = streamId;
    }
}

export class RecordingEvent extends Event {
    /** @param {any} target @param {string} type @param {string} id @param {string} name @param {string} [reason] */
    constructor(target, type, id, name, reason) {
        super(false, target, type);
        this.id = id;
        if (name !== id) this.name = name;
        this.reason = reason;
    }
}

export class ExceptionEvent extends Event {
    /**
     * @param {any} session
     * @param {string} name one of ExceptionEventName
     * @param {any} origin the Stream, Subscriber or Session concerned
     * @param {string} message
     * @param {any} [data]
     */
    constructor(session, name, origin, message, data) {
        super(false, session, 'exception');
        this.name = name;
        this.origin = origin;
        this.message = message;
        this.data = data;
    }
}

export class StreamManagerEvent extends Event {
    /** @param {any} target @param {string} type @param {any} value */
    constructor(target, type, value) {
        super(false, target, type);
        this.value = value;
    }
}

export class VideoElementEvent extends Event {
    /** @param {HTMLVideoElement} element @param {any} target @param {string} type */
    constructor(element, target, type) {
        super(false, target, type);
        this.element = element;
    }
}

export class FilterEvent extends Event {
    /** @param {any} target @param {string} eventType @param {any} data */
    constructor(target, eventType, data) {
        super(false, target, eventType);
        this.data = data;
    }
}

export class SpeechToTextEvent extends Event {
    /** @param {any} target @param {any} connection @param {string} text @param {string} reason @param {string} raw @param {string} lang */
    constructor(target, connection, text, reason, raw, lang) {
        super(false, target, 'speechToTextMessage');
        this.connection = connection;
        this.text = text;
        this.reason = reason;
        this.raw = raw;
        this.lang = lang;
    }
}
