// Our browser SDK as the deployment serves it (sdk/browser, bundled by the server at
// start-up): a page of the deployment's own origin imports the ES module
// `/openvidu/sdk/openvidu-browser.mjs`, another loads the classic script
// `/openvidu/sdk/openvidu-browser.js` (window.OpenVidu); each gets a token from the
// development API (`/openvidu/dev/`), publishes its camera and decodes the other's video.
// A page of another origin imports the module too (CORS), and the components bundle
// defines <openvidu-call>. No page is given any ICE server but the deployment's. The call
// page at `/` has its own file, call-page.test.mjs.
//
// Needs the server built from a tree with sdk/browser and sdk/components (the bundles are
// embedded at compile time): `cargo build --release -p ov-server`.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { waitForRates, MIN_FPS } from './lib/media.mjs';
import { withTimeout } from './lib/wait.mjs';

const h = useHarness('served-sdk', {
    testPage: false,
    // Development mode with a secret of the tests' own (the default secret would turn it
    // on too): the dev API gives the tokens.
    serverOptions: { env: { OPENVIDU_DEV: 'true' } }
});

const ROOM = `served-${Date.now().toString(36)}`;

const PAGES = {
    module: `<!doctype html><meta charset="utf-8"><title>module</title><div id="videos"></div>
<script type="module">
import { OpenVidu } from '/openvidu/sdk/openvidu-browser.mjs';
window.SdkOpenVidu = OpenVidu;
</script>`,
    classic: `<!doctype html><meta charset="utf-8"><title>classic</title><div id="videos"></div>
<script src="/openvidu/sdk/openvidu-browser.js"></script>
<script>window.SdkOpenVidu = window.OpenVidu;</script>`
};

// ---- in the page -------------------------------------------------------------------

/** Init script: remembers the ICE servers of every RTCPeerConnection, and join helpers. */
function helpers() {
    const Original = window.RTCPeerConnection;
    window.__iceServers = [];
    window.RTCPeerConnection = class extends Original {
        constructor(config, ...rest) {
            window.__iceServers.push(JSON.parse(JSON.stringify(config?.iceServers ?? [])));
            super(config, ...rest);
        }
    };
    window.servedTest = {
        /** A token from the deployment's development API, as the components get theirs. */
        async token(room) {
            const post = (path, body) =>
                fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
            const s = await post('/openvidu/dev/api/sessions', { customSessionId: room });
            if (!s.ok) throw new Error(`dev API sessions: ${s.status} ${await s.text()}`);
            const id = await s.text();
            const c = await post(`/openvidu/dev/api/sessions/${encodeURIComponent(id)}/connections`, {});
            if (!c.ok) throw new Error(`dev API connections: ${c.status} ${await c.text()}`);
            return c.text();
        },
        /** connect + publish the camera; subscribes to every remote stream into #videos. */
        async join(room, name) {
            const OV = new window.SdkOpenVidu();
            const session = OV.initSession();
            session.on('streamCreated', (event) => session.subscribe(event.stream, 'videos'));
            await session.connect(await this.token(room), { clientData: name });
            const publisher = await OV.initPublisherAsync(undefined, {
                audioSource: false,
                publishAudio: false,
                resolution: '320x240',
                frameRate: 15
            });
            await session.publish(publisher);
            window.__session = session;
            return { connectionId: session.connection.connectionId, streamId: publisher.stream.streamId };
        },
        /** Frames of the first remote <video>. */
        video() {
            const v = document.querySelector('#videos video');
            if (!v) return null;
            return {
                frames: v.getVideoPlaybackQuality().totalVideoFrames,
                decoded: v.webkitDecodedFrameCount,
                width: v.videoWidth,
                paused: v.paused,
                at: performance.now()
            };
        },
        iceServers() {
            return window.__iceServers;
        }
    };
}

// ---- in Node -------------------------------------------------------------------------

/**
 * Opens `name`'s page at `url` (a path of the server: its document, a 404 with a text body, comes from the
 * server, so the page belongs to the server's origin and address space) and writes `html`
 * into it; the scripts it loads come from the server.
 */
async function openServedPage(name, url, html) {
    const p = await h.openPage(name, url, { initScripts: [helpers], dumpState: () => window.servedTest?.iceServers() });
    await p.page.setContent(html, { timeout: 15_000 });
    await p.page.waitForFunction(() => typeof window.SdkOpenVidu === 'function', undefined, { timeout: 10_000 });
    return p;
}

async function waitForRemoteVideo(p) {
    return waitForRates(
        async () => {
            const v = await withTimeout(p.page.evaluate(() => window.servedTest.video()), 10_000, 'video');
            if (!v || !(v.width > 0) || v.paused) return null;
            return {
                key: 'video',
                counters: {
                    'frames decoded': { value: v.decoded, at: v.at, min: MIN_FPS },
                    'frames shown': { value: v.frames, at: v.at, min: MIN_FPS }
                }
            };
        },
        { what: `[${p.name}] a playing remote video` }
    );
}

test('the served ES module and classic script make a call with each other', h.guard(async () => {
    const url = h.server.url;
    const moduleServed = await fetch(`${url}/openvidu/sdk/openvidu-browser.mjs`);
    assert.equal(moduleServed.status, 200, `the SDK bundle is served: ${await moduleServed.clone().text()}`);
    assert.equal(moduleServed.headers.get('content-type'), 'text/javascript; charset=utf-8');

    const alice = await openServedPage('alice', `${url}/openvidu/v/test-page/module`, PAGES.module);
    const bob = await openServedPage('bob', `${url}/openvidu/v/test-page/classic`, PAGES.classic);
    assert.equal(await bob.page.evaluate(() => window.OpenViduBrowser.OpenVidu === window.OpenVidu), true,
        'window.OpenViduBrowser holds every export, OpenVidu included');

    const a = await alice.evaluate((room) => window.servedTest.join(room, 'alice'), ROOM, { timeoutMs: 20_000, what: 'alice joins' });
    const b = await bob.evaluate((room) => window.servedTest.join(room, 'bob'), ROOM, { timeoutMs: 20_000, what: 'bob joins' });
    assert.notEqual(a.connectionId, b.connectionId);

    await Promise.all([waitForRemoteVideo(alice), waitForRemoteVideo(bob)]);

    for (const p of [alice, bob]) {
        const configs = await p.page.evaluate(() => window.servedTest.iceServers());
        assert.ok(configs.length >= 2, `[${p.name}] a publisher and a subscriber connection: ${JSON.stringify(configs)}`);
        for (const servers of configs) {
            assert.ok(servers.length > 0, `[${p.name}] the server's ICE servers are used: ${JSON.stringify(configs)}`);
            for (const server of servers) {
                for (const u of [server.urls ?? server.url].flat()) {
                    assert.match(u, /^turns?:127\.0\.0\.1:\d+/, `[${p.name}] only the deployment's own TURN server`);
                }
            }
        }
    }
}));

test('a page of another origin imports the module (CORS) and the components define <openvidu-call>', h.guard(async () => {
    // localhost and 127.0.0.1 are different origins: the module is a cross-origin script.
    const other = `http://localhost:${h.server.port}/openvidu/v/test-page/other-origin`;
    const html = `<!doctype html><meta charset="utf-8"><title>other</title>
<script type="module">
import { OpenVidu } from '${h.server.url}/openvidu/sdk/openvidu-browser.mjs';
window.SdkOpenVidu = OpenVidu;
</script>`;
    const carol = await openServedPage('carol', other, html);
    assert.equal(await carol.page.evaluate(() => typeof new window.SdkOpenVidu().initSession), 'function');

    const defined = await carol.evaluate(
        async (base) => {
            await import(`${base}/openvidu/components/openvidu-components.mjs`);
            return ['openvidu-call', 'openvidu-webcomponent'].filter((n) => customElements.get(n));
        },
        h.server.url,
        { what: 'import the components' }
    );
    assert.deepEqual(defined, ['openvidu-call', 'openvidu-webcomponent']);
}));
