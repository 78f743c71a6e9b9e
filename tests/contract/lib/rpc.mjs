// A participant without media: the WebSocket JSON-RPC of openvidu-browser 2.32
// (/work/shared/spec/openvidu-2-protocol.md §2-§3) on the `ws` package. It pings as the
// browser does (so the server keeps it), joins with a token, records the server's
// notifications, can publish (a browser's SDP offer whose ICE never connects: the stream
// exists for the server until its peer timeout, no media flows) and can leave.

import WebSocket from 'ws';

import { waitFor } from './server.mjs';

const REQUEST_TIMEOUT_MS = 10_000;

/** A Chromium publisher's offer, reduced: Opus audio and VP8 video, sendonly, one BUNDLE. */
const OFFER = [
    'v=0',
    'o=- 6491223867445471514 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=msid-semantic: WMS s',
    ...mediaSection('audio', 0, 111, ['a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1'], 3828995867),
    ...mediaSection('video', 1, 96, ['a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli'], 2106632342),
    ''
].join('\r\n');

function mediaSection(kind, mid, pt, codec, ssrc) {
    return [
        `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
        'c=IN IP4 0.0.0.0',
        'a=rtcp:9 IN IP4 0.0.0.0',
        'a=ice-ufrag:a9or',
        'a=ice-pwd:6tbnPly9R6vxBR6+q6KHeWw6',
        'a=fingerprint:sha-256 1C:33:D1:09:C9:58:92:29:A7:F9:75:5C:53:C3:6B:22:67:40:B1:46:2C:B6:AC:06:74:52:CF:EA:9F:77:6F:66',
        'a=setup:actpass',
        `a=mid:${mid}`,
        'a=sendonly',
        `a=msid:s t${mid}`,
        'a=rtcp-mux',
        ...codec,
        `a=ssrc:${ssrc} cname:contract`
    ];
}
const PING_INTERVAL_MS = 5_000;

export class RpcParticipant {
    /** Opens the WebSocket of `token` (ws://host:port?sessionId=…&token=…). */
    static async open(token) {
        const url = new URL(token);
        const ws = new WebSocket(`ws://${url.host}/openvidu`);
        await new Promise((resolve, reject) => {
            ws.once('open', resolve);
            ws.once('error', reject);
        });
        return new RpcParticipant(ws, token, url.searchParams.get('sessionId'));
    }

    /** Opens and joins (`joinRoom`); resolves the participant with `joined` (the result). */
    static async join(token, name = 'participant') {
        const p = await RpcParticipant.open(token);
        p.joined = await p.request('joinRoom', {
            token,
            session: p.sessionId,
            platform: 'Node.js contract test',
            sdkVersion: '2.32.2',
            metadata: JSON.stringify({ clientData: name }),
            secret: '',
            recorder: false,
            stt: false
        });
        return p;
    }

    constructor(ws, token, sessionId) {
        this.ws = ws;
        this.token = token;
        this.sessionId = sessionId;
        this.joined = null;
        this.nextId = 0;
        this.pending = new Map();
        /** Notifications received: {method, params}. */
        this.notifications = [];
        ws.on('message', (data) => this.receive(JSON.parse(String(data))));
        ws.on('close', () => {
            clearInterval(this.pinger);
            for (const { reject } of this.pending.values()) reject(new Error('WebSocket closed'));
            this.pending.clear();
        });
        this.request('ping', { interval: PING_INTERVAL_MS }).catch(() => {});
        this.pinger = setInterval(() => this.request('ping').catch(() => {}), PING_INTERVAL_MS).unref();
    }

    receive(msg) {
        if (msg.method !== undefined && msg.id === undefined) {
            this.notifications.push({ method: msg.method, params: msg.params });
            return;
        }
        const pending = this.pending.get(msg.id);
        if (!pending) return;
        this.pending.delete(msg.id);
        if (msg.error) pending.reject(Object.assign(new Error(`${msg.error.code}: ${msg.error.message}`), { rpc: msg.error }));
        else pending.resolve(msg.result);
    }

    /** One JSON-RPC request; resolves its result, rejects with its error (`err.rpc`). */
    request(method, params) {
        const id = this.nextId++;
        const msg = { jsonrpc: '2.0', method, id, ...(params ? { params } : {}) };
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(id);
                reject(new Error(`${method} timed out`));
            }, REQUEST_TIMEOUT_MS);
            this.pending.set(id, {
                resolve: (v) => (clearTimeout(timer), resolve(v)),
                reject: (e) => (clearTimeout(timer), reject(e))
            });
            this.ws.send(JSON.stringify(msg));
        });
    }

    /** Waits for a notification `method` (whose params have every field of `match`); resolves its params. */
    waitForNotification(method, match = {}, options = {}) {
        const fits = (n) => n.method === method && Object.entries(match).every(([k, v]) => n.params?.[k] === v);
        return waitFor(() => this.notifications.find(fits)?.params, {
            what: `notification ${method} ${JSON.stringify(match)}`,
            describe: () => `received: ${JSON.stringify(this.notifications)}`,
            ...options
        });
    }

    /** `publishVideo` of camera + microphone; resolves the result ({sdpAnswer, id, createdAt}). */
    publish() {
        return this.request('publishVideo', {
            sdpOffer: OFFER,
            doLoopback: false,
            hasAudio: true,
            hasVideo: true,
            audioActive: true,
            videoActive: true,
            typeOfVideo: 'CAMERA',
            frameRate: 30,
            videoDimensions: JSON.stringify({ width: 640, height: 480 })
        });
    }

    /** `leaveRoom`, then closes the socket. */
    async leave() {
        try {
            await this.request('leaveRoom', {});
        } finally {
            this.close();
        }
    }

    close() {
        clearInterval(this.pinger);
        this.ws.close();
    }
}
