// The dashboard page: renders the server's pushed snapshots (Server-Sent Events from
// /dashboard/events) and runs the loopback self-test on our browser SDK.

import { OpenVidu } from '/openvidu/sdk/openvidu-browser.mjs';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @param {number | null | undefined} bps */
function kbps(bps) {
    return bps == null ? '–' : `${Math.round(bps / 1000)} kbit/s`;
}

/** @param {number | null | undefined} f */
function percent(f) {
    return f == null ? '–' : `${(f * 100).toFixed(1)} %`;
}

/** @param {number | null | undefined} ms */
function millis(ms) {
    return ms == null ? '–' : `${Math.round(ms)} ms`;
}

/** Client data as the app gave it: OpenVidu's `clientData%/%serverData`, often JSON. */
function displayName(data) {
    const first = String(data ?? '').split('%/%')[0];
    try {
        const parsed = JSON.parse(first);
        if (parsed && typeof parsed === 'object') return String(parsed.clientData ?? parsed.nickname ?? first);
    } catch {
        // not JSON: shown as it is
    }
    return first;
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} [children]
 */
function el(tag, attrs = {}, children = []) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    e.append(...children);
    return e;
}

function streamCells(s) {
    const media = s.hasVideo == null ? '' : `${s.hasVideo ? (s.videoActive ? 'video' : 'video off') : 'no video'}, ${s.hasAudio ? (s.audioActive ? 'audio' : 'muted') : 'no audio'}`;
    return [
        el('td', {}, [s.streamId]),
        el('td', {}, [s.typeOfVideo ?? '']),
        el('td', {}, [media]),
        el('td', { 'data-field': 'bitrate' }, [kbps(s.bitrate)]),
        el('td', { class: (s.loss ?? 0) > 0.05 ? 'bad' : '' }, [percent(s.loss)]),
        el('td', {}, [millis(s.rttMs)]),
        el('td', { class: s.speaking ? 'speaking' : '' }, [s.speaking ? 'speaking' : '']),
        el('td', { class: s.connected ? '' : 'bad' }, [s.connected ? 'connected' : 'not connected'])
    ];
}

function renderSession(session) {
    const rows = [];
    for (const c of session.connections) {
        const quality = c.networkQuality == null ? '' : ` · network ${c.networkQuality}/5`;
        const who = `${displayName(c.clientData)} (${c.id}, ${c.role ?? '?'})${quality}`;
        const streams = [...c.publishers.map((s) => ['publishes', s]), ...c.subscriptions.map((s) => ['receives', s])];
        if (streams.length === 0) rows.push(el('tr', {}, [el('td', {}, [who]), el('td', { colspan: '9', class: 'empty' }, ['no media'])]));
        for (const [dir, s] of streams) {
            rows.push(el('tr', { 'data-stream': s.streamId, 'data-direction': dir }, [el('td', {}, [who]), el('td', {}, [dir]), ...streamCells(s)]));
        }
    }
    const head = ['Connection', '', 'Stream', 'Type', 'Media', 'Bitrate', 'Loss', 'RTT', 'Voice', 'State'];
    return el('article', { 'data-session': session.id }, [
        el('h3', {}, [`${session.id} · ${session.connections.length} connection(s)${session.recording ? ' · recording' : ''}`]),
        el('table', {}, [el('thead', {}, [el('tr', {}, head.map((h) => el('th', { scope: 'col' }, [h])))]), el('tbody', {}, rows)])
    ]);
}

function render(snapshot) {
    const box = $('sessions');
    $('session-count').textContent = `(${snapshot.sessions.length})`;
    box.replaceChildren(...(snapshot.sessions.length ? snapshot.sessions.map(renderSession) : [el('p', { class: 'empty' }, ['No session.'])]));
}

function watch() {
    const source = new EventSource('/dashboard/events');
    const state = $('feed-state');
    source.addEventListener('snapshot', (e) => {
        state.dataset.state = 'live';
        state.textContent = 'live';
        render(JSON.parse(/** @type {MessageEvent} */ (e).data));
    });
    source.onerror = () => {
        state.dataset.state = 'down';
        state.textContent = 'reconnecting…';
    };
}

/** A moving test pattern, so the self-test needs no camera permission. */
function testPatternTrack() {
    const canvas = el('canvas', { width: '320', height: '240' });
    const ctx = /** @type {CanvasRenderingContext2D} */ (/** @type {HTMLCanvasElement} */ (canvas).getContext('2d'));
    let frame = 0;
    const timer = setInterval(() => {
        frame++;
        ctx.fillStyle = `hsl(${(frame * 3) % 360} 70% 45%)`;
        ctx.fillRect(0, 0, 320, 240);
        ctx.fillStyle = '#fff';
        ctx.font = '32px system-ui';
        ctx.fillText(`openvidu-rs ${frame}`, 20, 130);
    }, 1000 / 15);
    const track = /** @type {HTMLCanvasElement} */ (canvas).captureStream(15).getVideoTracks()[0];
    return { track, stop: () => { clearInterval(timer); track.stop(); } };
}

/** Resolves with the time of the first frame `video` presents. */
function firstFrame(video) {
    return new Promise((resolve) => {
        if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => resolve(performance.now()));
        else video.addEventListener('playing', () => resolve(performance.now()), { once: true });
    });
}

/** @param {number} ms */
const within = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms));

async function selfTest() {
    const button = /** @type {HTMLButtonElement} */ ($('selftest-run'));
    const result = $('selftest-result');
    const media = $('selftest-media');
    button.disabled = true;
    result.textContent = 'running…';
    media.replaceChildren();
    const started = performance.now();
    /** @type {{ok: boolean, firstFrameMs?: number, error?: string, sessionId?: string}} */
    let outcome = { ok: false };
    let sessionId;
    const pattern = testPatternTrack();
    const sessions = [];
    try {
        const answer = await fetch('/dashboard/selftest', { method: 'POST' });
        if (!answer.ok) throw new Error(`the server refused the self-test (${answer.status})`);
        const { sessionId: id, tokens } = await answer.json();
        sessionId = id;
        const publisherSide = new OpenVidu().initSession();
        const subscriberSide = new OpenVidu().initSession();
        sessions.push(publisherSide, subscriberSide);
        const shown = new Promise((resolve) => {
            subscriberSide.on('streamCreated', (event) => {
                resolve(firstFrame(subscriberSide.subscribe(event.stream, undefined).createVideoElement(media)));
            });
        });
        await subscriberSide.connect(tokens[1], { clientData: 'self-test viewer' });
        await publisherSide.connect(tokens[0], { clientData: 'self-test publisher' });
        const publisher = await new OpenVidu().initPublisherAsync(undefined, { videoSource: pattern.track, audioSource: false, publishAudio: false });
        await publisherSide.publish(publisher);
        const at = /** @type {number} */ (await Promise.race([shown, within(15000, 'first frame')]));
        outcome = { ok: true, firstFrameMs: Math.round(at - started), sessionId };
        result.textContent = `passed: first frame after ${outcome.firstFrameMs} ms`;
        result.dataset.firstFrameMs = String(outcome.firstFrameMs);
        await new Promise((r) => setTimeout(r, 1500));
    } catch (err) {
        outcome = { ok: false, error: String(err?.message ?? err), sessionId };
        result.textContent = `failed: ${outcome.error}`;
    } finally {
        for (const s of sessions) {
            try { s.disconnect(); } catch { /* already gone */ }
        }
        pattern.stop();
        if (sessionId) await fetch(`/dashboard/selftest/${encodeURIComponent(sessionId)}`, { method: 'DELETE' }).catch(() => {});
        result.dataset.outcome = outcome.ok ? 'passed' : 'failed';
        /** @type {any} */ (window).dashboardSelfTest = outcome;
        button.disabled = false;
    }
}

$('selftest-run').addEventListener('click', selfTest);
watch();
