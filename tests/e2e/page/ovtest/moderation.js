// Signals and moderation in window.ovtest (connection and stream ids in, SDK objects looked up here):
//   listenSignals([names])                 records 'signalEvent' for each exact event name
//   signal({data, type, to: [connectionIds]})
//   forceDisconnect(connectionId) / forceUnpublish(streamId)
//   capabilities() / localConnection()
// Calls that talk to the server settle ({ok, error: {name, code, message, …}}), never reject.
(() => {
    'use strict';

    const { state, plain, settle, record, requireSession, streamById, connectionById, signalFields } = window.__ovtest;
    const ovtest = window.ovtest;

    Object.assign(ovtest, {
        /** session.on(<name>) for each exact event name (e.g. 'signal:chat'); records 'signalEvent' {name, ...}. */
        listenSignals(names) {
            const session = requireSession();
            for (const name of names) {
                if (state.signalTypes.has(name)) continue;
                state.signalTypes.add(name);
                session.on(name, (e) => record('signalEvent', { name, ...signalFields(e) }));
            }
            return Array.from(state.signalTypes);
        },

        /** session.signal({data, type, to}) with `to` given as connection ids. Never rejects. */
        async signal({ data, type, to, timeoutMs = 10_000 } = {}) {
            const session = requireSession();
            const options = {};
            if (data !== undefined) options.data = data;
            if (type !== undefined) options.type = type;
            if (to !== undefined) options.to = to.map(connectionById);
            return settle(session.signal(options), timeoutMs, 'session.signal()');
        },

        /** The local Connection as the SDK sees it. */
        localConnection() {
            const c = requireSession().connection;
            return { connectionId: c.connectionId, role: c.role, record: c.record, data: c.data };
        },

        capabilities() {
            return plain(requireSession().capabilities);
        },

        /** session.forceDisconnect(<Connection of connectionId>). Never rejects. */
        forceDisconnect(connectionId, { timeoutMs = 10_000 } = {}) {
            return settle(requireSession().forceDisconnect(connectionById(connectionId)), timeoutMs, 'session.forceDisconnect()');
        },

        /** session.forceUnpublish(<Stream of streamId>). Never rejects. */
        forceUnpublish(streamId, { timeoutMs = 10_000 } = {}) {
            return settle(requireSession().forceUnpublish(streamById(streamId)), timeoutMs, 'session.forceUnpublish()');
        }
    });
})();
