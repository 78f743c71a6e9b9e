// The React tutorial (apps/react-tutorial) as a person uses it: its production build,
// served by the application server (apps/app-server) in front of openvidu-rs; two pages
// fill the join form and press JOIN, see and name each other, switch what the main video
// shows, switch camera, and one leaves.
//
// Before (outside the namespace): `npm ci` in apps/react-tutorial and here,
// `cargo build --release -p ov-server -p app-server`. APP_SERVER_BIN overrides the
// application server binary.
//
// The steps share the two pages and run in order; a step whose predecessor failed fails
// at once with a message saying so.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { useHarness, ARTIFACTS_DIR } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForRates, MIN_FPS, simulcastLayerFor, trackPeerConnections } from './lib/media.mjs';
import { withTimeout, waitFor, assertHolds } from './lib/wait.mjs';
import { REACT_APP_DIR, REPO_ROOT, buildViteApp, copyAppImporting, startAppServer, decodePng, colourStats } from './lib/apps.mjs';

// E2E_REACT_SDK=ours (react-tutorial-ours.test.mjs): the same app built with only its import
// changed to our SDK (sdk/browser), the same steps.
const OURS = process.env.E2E_REACT_SDK === 'ours';
const FILE = OURS ? 'react-tutorial-ours' : 'react-tutorial';
const MEDIA_TIMEOUT_MS = 20_000;

// Fake cameras, so that "Switch camera" has somewhere to switch to (Chromium keeps the
// last value of a repeated switch). Chromium's second fake camera is a depth camera (Y16)
// whose frames never reach the WebRTC encoder (a publisher on it sends nothing), so the
// pages do not see it (hideDepthCamera): they have fake_device_0 and fake_device_2.
const BROWSER_ARGS = ['--use-fake-device-for-media-stream=device-count=3'];

const SUBSCRIBER = '#video-container .stream-container[data-role="subscriber"]';
const PUBLISHER = '#video-container .stream-container[data-role="publisher"]';

const env = {
    app: null,
    appDir: null,
    distDir: null,
    /** name → Page (of the Participant of that name) */
    pages: {}
};

// The tutorial's own pages, not the ovtest test page: no bundle, no page server; the
// application's production build served by the application server, started in setup.
const h = useHarness(FILE, {
    testPage: false,
    browserArgs: BROWSER_ARGS,
    setup: async (h) => {
        env.distDir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-react-dist-'));
        if (OURS) env.appDir = await copyAppImporting(REACT_APP_DIR, path.join(REPO_ROOT, 'sdk', 'browser', 'src', 'index.mjs'));
        await buildViteApp(env.appDir ?? REACT_APP_DIR, { outDir: env.distDir });
        // Which SDK the build holds: the official one brings its logger, jsnlog; ours nothing.
        const assets = path.join(env.distDir, 'assets');
        const js = (await Promise.all((await readdir(assets)).filter((f) => f.endsWith('.js')).map((f) => readFile(path.join(assets, f), 'utf8')))).join('\n');
        assert.equal(js.includes('jsnlog'), !OURS, OURS ? 'openvidu-browser is not in the build' : 'openvidu-browser is in the build');
        env.app = await startAppServer({ openvidu: h.server, staticDir: env.distDir });
    },
    saveArtifacts: async (_h, dir, prefix) => {
        if (env.app) await writeFile(path.join(dir, `${prefix}-app-server.log`), env.app.output());
    },
    teardown: async () => {
        await env.app?.stop();
        if (env.distDir) await rm(env.distDir, { recursive: true, force: true });
        if (env.appDir) await rm(env.appDir, { recursive: true, force: true });
    }
});
const step = makeSteps(h);

const sessionId = `React-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const NAMES = ['Alice', 'Bob'];

// ---- in the page -------------------------------------------------------------------

/** Init script: enumerateDevices() without Chromium's fake depth camera (see BROWSER_ARGS). */
function hideDepthCamera() {
    const devices = navigator.mediaDevices;
    const enumerate = devices.enumerateDevices.bind(devices);
    devices.enumerateDevices = async () =>
        (await enumerate()).filter((d) => !(d.kind === 'videoinput' && d.label === 'fake_device_1'));
}

/** What the page shows, and the inbound video stats of its peer connections (for failures). */
async function pageState() {
    const streams = [...document.querySelectorAll('.stream-container, #main-video')].map((el) => {
        const v = el.querySelector('video');
        return {
            where: el.id || el.dataset.role,
            streamId: el.dataset.streamId,
            nickname: el.querySelector('.nickname')?.textContent,
            video: v && {
                id: v.id,
                width: v.videoWidth,
                height: v.videoHeight,
                paused: v.paused,
                readyState: v.readyState,
                frames: v.getVideoPlaybackQuality().totalVideoFrames
            }
        };
    });
    const inbound = [];
    for (const pc of window.__pcs ?? []) {
        if (pc.connectionState === 'closed') continue;
        const stats = await pc.getStats();
        stats.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
                inbound.push({ ssrc: s.ssrc, framesDecoded: s.framesDecoded, packetsReceived: s.packetsReceived });
            }
        });
    }
    return {
        url: location.href,
        title: document.querySelector('#session-title')?.textContent ?? null,
        joinForm: !!document.querySelector('#join'),
        error: document.querySelector('#join-error')?.textContent ?? null,
        streams,
        inbound
    };
}

/**
 * One reading of the <video> of `selector`: when, frames shown so far, frames decoded so far
 * (every live peer connection of the page), its size, and, from a canvas copy of the current
 * frame, the share of near-black and of green pixels (the fake camera is green).
 */
async function videoSnapshot({ selector }) {
    const video = document.querySelector(selector);
    if (!video) return { error: `no ${selector}` };
    let decoded = 0;
    for (const pc of window.__pcs ?? []) {
        if (pc.connectionState === 'closed') continue;
        (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') decoded += s.framesDecoded ?? 0;
        });
    }
    const result = {
        at: performance.timeOrigin + performance.now(),
        id: video.id,
        streamId: video.closest('[data-stream-id]')?.dataset.streamId ?? null,
        width: video.videoWidth,
        height: video.videoHeight,
        paused: video.paused,
        frames: video.getVideoPlaybackQuality().totalVideoFrames,
        decoded,
        box: { width: video.getBoundingClientRect().width, height: video.getBoundingClientRect().height }
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
            const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
            n++;
            if (r + g + b < 48) black++;
            if (g > 64 && g > r + 24 && g > b + 24) green++;
        }
        result.blackShare = black / n;
        result.greenShare = green / n;
    }
    return result;
}

/** deviceId of the camera the page's publisher <video> shows. */
function publisherCamera() {
    const v = document.querySelector('#video-container .stream-container[data-role="publisher"] video');
    return v?.srcObject?.getVideoTracks()[0]?.getSettings().deviceId ?? null;
}

// ---- in Node -------------------------------------------------------------------------

async function openPage(name) {
    const p = await h.openPage(name, env.app.url, { initScripts: [trackPeerConnections, hideDepthCamera], dumpState: pageState });
    env.pages[name] = p.page;
    return p.page;
}

function describeState(name) {
    return async () => `[${name}] ${JSON.stringify(await withTimeout(env.pages[name].evaluate(pageState), 5_000, 'state'))}`;
}

/**
 * Waits until the <video> of `selector` in `name`'s page plays: it shows new frames and the
 * page decodes new ones at MIN_FPS or more (lib/media.mjs), it is not paused, and its
 * picture is the green fake camera, not black. `remote`: decoded frames count too (a
 * publisher's own <video> decodes nothing); `size` ([width, height], or a function of the
 * element's box giving it) when given. Resolves the last snapshot and the rates.
 */
async function waitForPlayingVideo(name, selector, { remote = true, size, timeoutMs = MEDIA_TIMEOUT_MS } = {}) {
    const page = env.pages[name];
    return waitForRates(
        async () => {
            const v = await withTimeout(page.evaluate(videoSnapshot, { selector }), 10_000, 'videoSnapshot');
            if (!(v.width > 0) || v.paused || !(v.blackShare < 0.5) || !(v.greenShare > 0.2)) return null;
            // A simulcast stream starts on a lower layer until the publisher sends the top one.
            const want = typeof size === 'function' ? size(v.box) : size;
            if (want && (v.width !== want[0] || v.height !== want[1])) return null;
            const counters = { 'frames shown': { value: v.frames, at: v.at, min: MIN_FPS } };
            if (remote) counters['frames decoded'] = { value: v.decoded, at: v.at, min: MIN_FPS };
            return { key: `${v.id} ${v.streamId}`, counters, video: v };
        },
        {
            timeoutMs,
            what: `[${name}] a playing, non-black ${selector}`,
            describe: describeState(name)
        }
    );
}

/** Keeps a screenshot under artifacts/react-tutorial/ (gitignored), for a person to look at. */
async function saveScreenshot(name, png) {
    const dir = path.join(ARTIFACTS_DIR, FILE);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${name}.png`), png);
}

const otherOf = (name) => NAMES.find((n) => n !== name);
const texts = (page, selector) => page.locator(selector).allTextContents();

step('the join form has the tutorial defaults', async () => {
    const page = await openPage(NAMES[0]);
    assert.equal(await page.locator('#sessionId').inputValue(), 'SessionA');
    assert.match(await page.locator('#userName').inputValue(), /^Participant\d{1,2}$/);
    assert.equal(await page.locator('input[type="submit"]').inputValue(), 'JOIN');
    await saveScreenshot('join-form', await page.screenshot({ timeout: 5_000 }));
});

step('two participants join through the form and see each other', async () => {
    await openPage(NAMES[1]);
    for (const name of NAMES) {
        const page = env.pages[name];
        await page.locator('#sessionId').fill(sessionId);
        await page.locator('#userName').fill(name);
        await page.locator('input[type="submit"]').click();
    }
    for (const name of NAMES) {
        const page = env.pages[name];
        await waitFor(
            async () =>
                (await page.locator(SUBSCRIBER).count()) === 1 && (await page.locator(PUBLISHER).count()) === 1,
            { timeoutMs: MEDIA_TIMEOUT_MS, what: `[${name}] its publisher and one subscriber`, describe: describeState(name) }
        );
        assert.equal(await page.locator('#session-title').textContent(), sessionId);
        assert.equal(await page.locator('#buttonLeaveSession').inputValue(), 'Leave session');
        assert.equal(await page.locator('#buttonSwitchCamera').inputValue(), 'Switch camera');
        // nicknames: its own on its publisher (and the main video), the other's on the subscriber
        assert.deepEqual(await texts(page, `${PUBLISHER} .nickname`), [name]);
        assert.deepEqual(await texts(page, `${SUBSCRIBER} .nickname`), [otherOf(name)]);
        assert.deepEqual(await texts(page, '#main-video .nickname'), [name]);
        assert.equal(
            await page.locator('#main-video').getAttribute('data-stream-id'),
            await page.locator(PUBLISHER).getAttribute('data-stream-id')
        );
    }
    // Each page shows the other's camera: frames grow, green, not black.
    for (const name of NAMES) {
        // Once the publisher sends it: the top simulcast layer on openvidu-browser, the
        // layer that fills the element on our SDK (which reports its size).
        await waitForPlayingVideo(name, `${SUBSCRIBER} video`, { size: OURS ? simulcastLayerFor : [640, 480] });
        await waitForPlayingVideo(name, `${PUBLISHER} video`, { remote: false });
    }
    // In a screenshot of each page the other's video is the green fake camera, not black.
    for (const name of NAMES) {
        const page = env.pages[name];
        const box = await page.locator(`${SUBSCRIBER} video`).boundingBox();
        const png = await page.screenshot({ timeout: 5_000 });
        await saveScreenshot(`in-call-${name}`, png);
        const stats = colourStats(decodePng(png), { box });
        assert.ok(
            stats.blackShare < 0.5 && stats.greenShare > 0.2,
            `[${name}] the subscriber video ${JSON.stringify(box)} in the screenshot: ${JSON.stringify(stats)}`
        );
    }
    // Each one's subscriber is the other's publisher.
    for (const name of NAMES) {
        assert.equal(
            await env.pages[name].locator(SUBSCRIBER).getAttribute('data-stream-id'),
            await env.pages[otherOf(name)].locator(PUBLISHER).getAttribute('data-stream-id')
        );
    }
});

step('clicking a video makes it the main video', async () => {
    const [alice, bob] = NAMES;
    const page = env.pages[alice];
    await page.locator(SUBSCRIBER).click();
    await waitFor(async () => (await texts(page, '#main-video .nickname'))[0] === bob, {
        what: `[${alice}] ${bob} in the main video`,
        describe: describeState(alice)
    });
    assert.equal(
        await page.locator('#main-video').getAttribute('data-stream-id'),
        await page.locator(SUBSCRIBER).getAttribute('data-stream-id')
    );
    await waitForPlayingVideo(alice, '#main-video video');
});

step('"Switch camera" republishes on the next camera', async () => {
    const [alice, bob] = NAMES;
    const bobPage = env.pages[bob];
    const alicePage = env.pages[alice];
    const before = await bobPage.locator(PUBLISHER).getAttribute('data-stream-id');
    const cameras = await bobPage.evaluate(async () =>
        (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput').map((d) => d.deviceId)
    );
    assert.equal(cameras.length, 2, `two fake cameras: ${JSON.stringify(cameras)}`);
    const cameraBefore = await bobPage.evaluate(publisherCamera);
    assert.ok(cameras.includes(cameraBefore), `camera in use ${cameraBefore} is one of ${JSON.stringify(cameras)}`);
    await bobPage.locator('#buttonSwitchCamera').click();
    const after = await waitFor(
        async () => {
            const id = await bobPage.locator(PUBLISHER).getAttribute('data-stream-id');
            return id && id !== before ? id : null;
        },
        { timeoutMs: MEDIA_TIMEOUT_MS, what: `[${bob}] a new publisher`, describe: describeState(bob) }
    );
    // Bob's main video follows his new camera.
    assert.equal(await bobPage.locator('#main-video').getAttribute('data-stream-id'), after);
    // Alice gets the old stream destroyed and the new one created: one subscriber, the new stream, still "Bob".
    await waitFor(
        async () => {
            const ids = await alicePage.locator(SUBSCRIBER).evaluateAll((els) => els.map((e) => e.dataset.streamId));
            return ids.length === 1 && ids[0] === after;
        },
        { timeoutMs: MEDIA_TIMEOUT_MS, what: `[${alice}] only the new stream ${after}`, describe: describeState(alice) }
    );
    assert.deepEqual(await texts(alicePage, `${SUBSCRIBER} .nickname`), [bob]);
    // Alice's main video showed Bob's old stream: it falls back to her own camera.
    assert.deepEqual(await texts(alicePage, '#main-video .nickname'), [alice]);
    await waitForPlayingVideo(alice, `${SUBSCRIBER} video`);
    await waitForPlayingVideo(bob, `${PUBLISHER} video`, { remote: false });
    // Bob's camera is the other one now.
    const cameraAfter = await bobPage.evaluate(publisherCamera);
    assert.ok(cameras.includes(cameraAfter) && cameraAfter !== cameraBefore, `camera ${cameraBefore} -> ${cameraAfter}`);
});

step('"Leave session": the other page loses its subscriber and keeps its own camera', async () => {
    const [alice, bob] = NAMES;
    const bobPage = env.pages[bob];
    const alicePage = env.pages[alice];
    await bobPage.locator('#buttonLeaveSession').click();
    // Bob is back on the join form, with its defaults.
    await bobPage.locator('#join').waitFor({ timeout: 5_000 });
    assert.equal(await bobPage.locator('#sessionId').inputValue(), 'SessionA');
    assert.equal(await bobPage.locator('video').count(), 0);
    // Alice's subscriber list shrinks to nothing.
    await waitFor(async () => (await alicePage.locator(SUBSCRIBER).count()) === 0, {
        timeoutMs: 10_000,
        what: `[${alice}] no subscriber video left`,
        describe: describeState(alice)
    });
    assert.equal(await alicePage.locator(`${PUBLISHER} video`).count(), 1);
    assert.deepEqual(await texts(alicePage, '#main-video .nickname'), [alice]);

    // What a person sees: in a screenshot of Alice's page, her main video is the green
    // fake camera, not black.
    await waitForPlayingVideo(alice, '#main-video video', { remote: false });
    const box = await alicePage.locator('#main-video video').boundingBox();
    const png = await alicePage.screenshot({ timeout: 5_000 });
    await saveScreenshot(`after-leave-${alice}`, png);
    const img = decodePng(png);
    const stats = colourStats(img, { box });
    assert.ok(stats.blackShare < 0.5, `main video ${JSON.stringify(box)} mostly black in the screenshot: ${JSON.stringify(stats)}`);
    assert.ok(stats.greenShare > 0.2, `main video ${JSON.stringify(box)} not green in the screenshot: ${JSON.stringify(stats)}`);

    // And it stays so: no stale stream comes back.
    await assertHolds(async () => (await alicePage.locator(SUBSCRIBER).count()) === 0, {
        forMs: 1_000,
        what: `[${alice}] no subscriber video`,
        describe: describeState(alice)
    });
});

step('a refused join shows why and keeps the form', async () => {
    const bob = NAMES[1];
    const page = env.pages[bob];
    // Not a valid session id for OpenVidu ([a-zA-Z0-9_-]): the application server passes on its 400.
    await page.locator('#sessionId').fill('not a session id!');
    await page.locator('#userName').fill(bob);
    await page.locator('input[type="submit"]').click();
    const error = await page.locator('#join-error').textContent({ timeout: 10_000 });
    assert.match(error, /Could not join the session: .*HTTP 400/);
    assert.equal(await page.locator('#sessionId').inputValue(), 'not a session id!');
    assert.equal(await page.locator('#userName').inputValue(), bob);
    assert.equal(await page.locator('video').count(), 0);
});
