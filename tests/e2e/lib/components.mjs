// What the components tests share: the init script that remembers peer connections, a
// reading of a tile's <video> (frames shown and decoded, black and green shares of the
// picture), waiting until it plays, a screenshot check of its box, and keyboard focus
// moves through shadow roots.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { ARTIFACTS_DIR } from './harness.mjs';
import { waitForRates, MIN_FPS } from './media.mjs';
import { withTimeout, waitFor } from './wait.mjs';
import { decodePng, colourStats } from './apps.mjs';


/**
 * In the page: the <video> of the tile matching `tile` (a CSS selector of
 * <ov-participant-tile> inside the grid of the <ov-room> or <openvidu-*> of `host`),
 * searched through shadow roots, and showing participant `name` when one is given; its frames, the frames decoded by every live peer
 * connection, and the share of black and green pixels of the current frame.
 */
export async function tileSnapshot({ host, tile, name }) {
    const shows = (t) => name === undefined || t.shadowRoot?.querySelector('.tile')?.getAttribute('aria-label') === name;
    const find = (root) => {
        for (const el of root.querySelectorAll('*')) {
            if (el.matches('ov-participant-grid')) {
                const t = [...(el.shadowRoot?.querySelectorAll(tile) ?? [])].find(shows);
                if (t) return t;
            }
            if (el.shadowRoot) {
                const t = find(el.shadowRoot);
                if (t) return t;
            }
        }
        return null;
    };
    const hostEl = document.querySelector(host);
    const t = hostEl && (find(hostEl.shadowRoot ?? hostEl) ?? find(hostEl));
    const video = t?.shadowRoot?.querySelector('video');
    if (!video) return { error: `no ${tile} video${name === undefined ? '' : ` of ${name}`} in ${host}` };
    let decoded = 0;
    for (const pc of window.__pcs ?? []) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') decoded += s.framesDecoded ?? 0;
        });
    }
    const r = {
        at: performance.timeOrigin + performance.now(),
        width: video.videoWidth,
        height: video.videoHeight,
        paused: video.paused,
        frames: video.getVideoPlaybackQuality().totalVideoFrames,
        decoded
    };
    if (video.videoWidth > 0) {
        const canvas = document.createElement('canvas');
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        const ctx = canvas.getContext('2d', { willReadFrequently: true });
        ctx.drawImage(video, 0, 0);
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0, black = 0, green = 0;
        for (let i = 0; i < data.length; i += 4 * 16) {
            const [red, g, b] = [data[i], data[i + 1], data[i + 2]];
            n++;
            if (red + g + b < 48) black++;
            if (g > 64 && g > red + 24 && g > b + 24) green++;
        }
        r.blackShare = black / n;
        r.greenShare = green / n;
    }
    const box = video.getBoundingClientRect();
    r.box = { x: box.x, y: box.y, width: box.width, height: box.height };
    return r;
}

/**
 * Waits until the tile's video in `page` plays a remote camera: frames shown and decoded
 * at MIN_FPS or more, not paused, green (the fake camera), not black, and `size`
 * ([width, height], or a function of the video's box giving it) when given. Resolves the
 * sample.
 */
export async function waitForPlayingTile(p, { host, tile, name, size, timeoutMs = 20_000 }) {
    const { sample } = await waitForRates(
        async () => {
            const v = await withTimeout(p.page.evaluate(tileSnapshot, { host, tile, name }), 10_000, 'tileSnapshot');
            if (!(v.width > 0) || v.paused || !(v.blackShare < 0.5) || !(v.greenShare > 0.2)) return null;
            // A simulcast stream starts on a lower layer until the publisher sends the top one.
            const want = typeof size === 'function' ? size(v.box) : size;
            if (want && (v.width !== want[0] || v.height !== want[1])) return null;
            return {
                key: 'tile',
                video: v,
                counters: { 'frames shown': { value: v.frames, at: v.at, min: MIN_FPS }, 'frames decoded': { value: v.decoded, at: v.at, min: MIN_FPS } }
            };
        },
        { timeoutMs, what: `[${p.name}] a playing, non-black ${tile}${name === undefined ? '' : ` of ${name}`}${Array.isArray(size) ? ` at ${size.join('x')}` : size ? ' at the size of its layer' : ''} in ${host}` }
    );
    return sample.video;
}

/** In a screenshot of `p`, the box of the tile's video is the green camera, not black. Saves it as `shot`.png. */
export async function assertTileInScreenshot(p, { host, tile, name, file, shot }) {
    const v = await p.page.evaluate(tileSnapshot, { host, tile, name });
    const png = await p.page.screenshot({ timeout: 5_000 });
    const dir = path.join(ARTIFACTS_DIR, file);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${shot}.png`), png);
    const stats = colourStats(decodePng(png), { box: v.box });
    assert.ok(stats.blackShare < 0.5 && stats.greenShare > 0.2, `[${p.name}] the tile ${JSON.stringify(v.box)} in the screenshot: ${JSON.stringify(stats)}`);
}

/** The focused element through shadow roots: {tag, part, label, pressed}. */
export function deepActive() {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? { tag: el.tagName.toLowerCase(), part: el.getAttribute('part'), label: el.getAttribute('aria-label'), pressed: el.getAttribute('aria-pressed') } : null;
}

/**
 * Presses Tab (Shift+Tab when `reverse`) until the focused element's part list contains
 * `part` (at most `max` presses); resolves it.
 */
export async function tabTo(p, part, { max = 30, reverse = false } = {}) {
    const seen = [];
    for (let i = 0; i < max; i++) {
        await p.page.keyboard.press(reverse ? 'Shift+Tab' : 'Tab');
        const a = await p.page.evaluate(deepActive);
        seen.push(a?.part ?? a?.tag);
        if (a?.part?.split(' ').includes(part)) return a;
    }
    throw new Error(`[${p.name}] Tab never reached part "${part}"; focus went through: ${seen.join(', ')}`);
}

/** Waits for `fn()` in the page to return a truthy value. */
export function waitInPage(p, fn, arg, { timeoutMs = 10_000, what } = {}) {
    let last;
    return waitFor(
        async () => {
            last = await withTimeout(p.page.evaluate(fn, arg), 5_000, what ?? 'waitInPage');
            return last;
        },
        { timeoutMs, what: `[${p.name}] ${what}`, describe: async () => `last: ${JSON.stringify(last)}` }
    );
}

/** The client metadata JSON of a Connection's data (the part before `%/%`). */
export function parseMetadataForTest(data) {
    return JSON.parse(String(data).split('%/%')[0]);
}

/**
 * Init script: keeps the page's WebSockets; `window.__dropSockets(blockMs)` closes the open
 * ones with code 4000 (a network drop: the SDK reconnects) and points new ones at a closed
 * port for `blockMs` (Chromium refuses port 9 at once).
 */
export function droppableSockets() {
    const Native = window.WebSocket;
    const sockets = [];
    let blockedUntil = 0;
    window.WebSocket = class extends Native {
        constructor(url, protocols) {
            super(Date.now() < blockedUntil ? 'ws://127.0.0.1:9/openvidu' : url, protocols);
            sockets.push(this);
        }
    };
    window.__dropSockets = (blockMs) => {
        blockedUntil = Date.now() + blockMs;
        let n = 0;
        for (const ws of sockets) {
            if (ws.readyState === Native.OPEN) {
                ws.close(4000, 'test network drop');
                n++;
            }
        }
        return n;
    };
}
