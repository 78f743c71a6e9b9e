// Init script for bench/first-frame.mjs with --timeline: marks, relative to the page's clock,
// when each step of a join happens (fetches, JSON-RPC requests and answers, getUserMedia,
// SDP and ICE steps of every RTCPeerConnection), so the benchmark shows where the time goes.
export function hookTimeline() {
    const marks = (window.__marks = []);
    const mark = (what) => marks.push([performance.now(), what]);
    const origFetch = window.fetch;
    window.fetch = async (input, init) => {
        const url = String(input?.url ?? input).replace(location.origin, '');
        mark(`fetch ${url}`);
        try { return await origFetch(input, init); } finally { mark(`fetched ${url}`); }
    };
    const md = navigator.mediaDevices;
    if (md) {
        const gum = md.getUserMedia.bind(md);
        md.getUserMedia = async (c) => { mark('getUserMedia'); try { return await gum(c); } finally { mark('gotUserMedia'); } };
    }
    const methods = new Map();
    const OrigWS = window.WebSocket;
    window.WebSocket = class extends OrigWS {
        constructor(...a) {
            super(...a);
            mark('ws open()');
            this.addEventListener('open', () => mark('ws opened'));
            this.addEventListener('message', (e) => {
                try {
                    const m = JSON.parse(e.data);
                    if (m.method) mark(`← ${m.method}`);
                    else if (methods.has(m.id)) mark(`← answer ${methods.get(m.id)}`);
                } catch { /* not JSON */ }
            });
        }
        send(data) {
            try {
                const m = JSON.parse(data);
                if (m.method && m.method !== 'ping') { methods.set(m.id, m.method); mark(`→ ${m.method}`); }
            } catch { /* not JSON */ }
            super.send(data);
        }
    };
    window.__firstFrame?.then(() => mark('first remote frame presented'));
    const OrigPC = window.RTCPeerConnection;
    let n = 0;
    window.RTCPeerConnection = class extends OrigPC {
        constructor(...a) {
            super(...a);
            const id = `pc${++n}`;
            mark(`${id} new`);
            this.addEventListener('iceconnectionstatechange', () => mark(`${id} ice ${this.iceConnectionState}`));
            this.addEventListener('connectionstatechange', () => mark(`${id} ${this.connectionState}`));
            this.addEventListener('track', (e) => mark(`${id} track ${e.track.kind}`));
            // Once connected: when the first video packet arrives and the first frame decodes.
            this.addEventListener('connectionstatechange', () => {
                if (this.connectionState !== 'connected') return;
                const seen = new Set();
                const poll = async () => {
                    if (this.connectionState !== 'connected' || seen.has('decoded')) return;
                    (await this.getStats()).forEach((r) => {
                        if (r.type !== 'inbound-rtp' || r.kind !== 'video') return;
                        if (r.packetsReceived > 0 && !seen.has('packet')) { seen.add('packet'); mark(`${id} first video packet`); }
                        if (r.framesDecoded > 0) { seen.add('decoded'); mark(`${id} first video frame decoded`); }
                    });
                    setTimeout(poll, 5);
                };
                poll();
            });
            for (const f of ['createOffer', 'createAnswer', 'setLocalDescription', 'setRemoteDescription']) {
                const orig = this[f].bind(this);
                this[f] = async (...args) => { mark(`${id} ${f}`); try { return await orig(...args); } finally { mark(`${id} ${f} done`); } };
            }
        }
    };
}
