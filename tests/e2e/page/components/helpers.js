// In-page helpers of the components tests (window.ct): mount <ov-room>s with the default
// children, record their ov-* events and the SDK events a test asks about, and look
// inside shadow roots.
(() => {
    const events = [];
    const ROOM_EVENTS = ['ov-joined', 'ov-left', 'ov-error', 'ov-reconnecting', 'ov-reconnected', 'ov-participant-joined',
        'ov-participant-left', 'ov-chat-message', 'ov-session-created', 'ov-toolbar-click', 'ov-join', 'ov-panel'];

    function summary(d) {
        if (!d) return d;
        const o = {};
        for (const [k, v] of Object.entries(d)) {
            if (v && typeof v === 'object') {
                if ('name' in v && 'id' in v) o[k] = { id: v.id, name: v.name };
                else if (v instanceof Error) o[k] = String(v);
                else if (k === 'error') o[k] = JSON.stringify(v);
            } else o[k] = v;
        }
        return o;
    }

    function record(roomId, type, detail) {
        events.push({ room: roomId, type, detail: summary(detail), at: Date.now() });
    }

    window.ct = {
        events: () => events,
        /**
         * Mounts a room: on our SDK, or on the official one (room.OpenVidu = window.OpenVidu)
         * when the page server runs in the official mode (E2E_COMPONENTS_SDK=official).
         */
        async mount({ id, token, session, appServer, prejoin = false, name, lang, layout = 'grid', pageSize, official = window.__sdkMode !== 'ours' }) {
            await customElements.whenDefined('ov-room');
            const room = document.createElement('ov-room');
            room.id = id;
            if (official) room.OpenVidu = window.OpenVidu;
            for (const type of ROOM_EVENTS) room.addEventListener(type, (e) => record(id, type, e.detail));
            room.addEventListener('ov-session-created', (e) => {
                const s = e.detail.session;
                record(id, 'connected-at-session-created', { connected: !!s.connection });
                s.on('streamPropertyChanged', (ev) =>
                    record(id, 'streamPropertyChanged', { property: ev.changedProperty, newValue: ev.newValue, connectionId: ev.stream.connection.connectionId }));
            });
            if (name) room.setAttribute('participant-name', name);
            if (lang) room.setAttribute('lang', lang);
            if (prejoin) room.setAttribute('prejoin', '');
            if (session) room.setAttribute('session', session);
            if (appServer !== undefined) room.setAttribute('app-server', appServer);
            room.innerHTML = `<ov-connection-banner></ov-connection-banner><ov-prejoin></ov-prejoin>
<div class="main"><ov-participant-grid layout="${layout}"${pageSize ? ` page-size="${pageSize}"` : ''}></ov-participant-grid><ov-chat></ov-chat><ov-participants></ov-participants></div>
<ov-toolbar></ov-toolbar>`;
            if (token) room.setAttribute('token', token);
            document.getElementById('app').append(room);
            return true;
        },
        room: (id) => document.getElementById(id),
        phase: (id) => document.getElementById(id)?.phase,
        /** The focused element, through shadow roots: tag, part, aria-label. */
        deepActive() {
            let el = document.activeElement;
            while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
            return el ? { tag: el.tagName.toLowerCase(), part: el.getAttribute('part'), label: el.getAttribute('aria-label'), pressed: el.getAttribute('aria-pressed') } : null;
        },
        /** The tiles of room `id`'s grid: attributes and name. */
        tiles(id) {
            const grid = document.getElementById(id).querySelector('ov-participant-grid');
            return [...grid.shadowRoot.querySelectorAll('ov-participant-tile')].map((t) => ({
                name: t.shadowRoot.querySelector('.name').textContent,
                hidden: t.hidden,
                attrs: Object.fromEntries([...t.attributes].filter((a) => !['exportparts', 'role'].includes(a.name)).map((a) => [a.name, a.value])),
                frames: t.video?.getVideoPlaybackQuality().totalVideoFrames ?? 0
            }));
        },
        /** The messages the chat shows (none while it was never opened: it is not rendered). */
        chat(id) {
            const chat = document.getElementById(id).querySelector('ov-chat');
            return [...(chat.shadowRoot?.querySelectorAll('.msg') ?? [])].map((m) => ({
                who: m.querySelector('.who').textContent,
                text: m.querySelector('.text').textContent,
                local: m.classList.contains('local')
            }));
        },
        live(id) {
            return document.getElementById(id).shadowRoot.querySelector('[role=status]').textContent;
        },
        participants(id) {
            const el = document.getElementById(id).querySelector('ov-participants');
            return [...el.shadowRoot.querySelectorAll('li')].map((li) => li.querySelector('.name')?.textContent ?? li.querySelector('input')?.value);
        }
    };
})();
