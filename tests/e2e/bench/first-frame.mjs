// Benchmark (not a test): time from "join" to the first decoded frame of a remote video, for
// the same action done three ways in one run, interleaved: a page on the official
// openvidu-browser 2.32.2, a page on our SDK (sdk/browser), and the deployment's call page
// (`/?room=…`, Join). Each trial is a fresh tab that fetches its token from the development
// API, connects, publishes its camera and subscribes to the one publisher already in the
// room; the clock starts just before the token request and stops at the first frame the
// remote <video> presents (requestVideoFrameCallback on every remote video track the page
// receives, hooked the same way for the three).
//
//   cargo build --release -p ov-server
//   cd tests/e2e && ../../scripts/loopback-netns.sh node bench/first-frame.mjs [trials per kind]
//
// Prints each trial and, per kind, the median, min and max in milliseconds.

import { buildBundle } from '../lib/bundle.mjs';
import { startServer } from '../lib/server.mjs';
import { startPageServer } from '../lib/page-server.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { Rest } from '../lib/rest.mjs';

const TRIALS = Number(process.argv[2] ?? 7);
const ROOM = `bench-${Date.now().toString(36)}`;

/** Init script: the first presented frame of any remote video track, for every kind alike. */
function hookRemoteVideo() {
    window.__firstFrame = new Promise((resolve) => {
        const Original = window.RTCPeerConnection;
        window.RTCPeerConnection = class extends Original {
            constructor(...args) {
                super(...args);
                this.addEventListener('track', (e) => {
                    if (e.track.kind !== 'video') return;
                    const v = document.createElement('video');
                    v.muted = true;
                    v.srcObject = new MediaStream([e.track]);
                    v.style.cssText = 'position:fixed;width:32px;height:24px;left:0;bottom:0';
                    document.documentElement.append(v);
                    v.requestVideoFrameCallback(() => resolve(performance.now()));
                    v.play().catch(() => {});
                });
            }
        };
    });
}

/** In a test page: token from the dev API, connect, publish the camera, subscribe. */
async function joinWithSdk({ devApi, room, wait = true }) {
    const t0 = performance.now();
    const post = async (path, body) => (await fetch(devApi + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).text();
    const sessionId = await post('api/sessions', { customSessionId: room });
    const token = await post(`api/sessions/${sessionId}/connections`, {});
    const ov = new window.OpenVidu();
    const session = ov.initSession();
    session.on('streamCreated', (e) => session.subscribe(e.stream, undefined));
    await session.connect(token, { clientData: 'bench' });
    await session.publish(await ov.initPublisherAsync(undefined, { publishAudio: true, publishVideo: true }));
    if (!wait) return 0;
    return (await window.__firstFrame) - t0;
}

async function main() {
    await buildBundle();
    const server = await startServer({ env: { OPENVIDU_DEV: 'true' } });
    const pages = await startPageServer();
    const browser = await launchBrowser();
    const rest = new Rest(server);
    const devApi = `${server.url}/openvidu/dev/`;
    const results = { official: [], ours: [], 'call page': [] };
    try {
        await rest.createSession(ROOM);
        // The one publisher everybody subscribes to.
        const publisher = await browser.context.newPage();
        await publisher.goto(pages.url);
        await publisher.waitForFunction(() => window.ovtest?.ready === true);
        await publisher.evaluate(joinWithSdk, { devApi, room: ROOM, wait: false });
        for (let i = 0; i < TRIALS; i++) {
            for (const kind of Object.keys(results)) {
                const page = await browser.context.newPage();
                await page.addInitScript(hookRemoteVideo);
                let ms;
                if (kind === 'call page') {
                    await page.goto(`${server.url}/?room=${ROOM}`);
                    await page.fill('#prejoin-name', `bench${i}`);
                    await page.waitForSelector('#join-button');
                    ms = await page.evaluate(async () => {
                        const t0 = performance.now();
                        document.getElementById('join-button').click();
                        return (await window.__firstFrame) - t0;
                    });
                } else {
                    await page.goto(kind === 'ours' ? `${pages.url}?sdk=ours` : pages.url);
                    await page.waitForFunction(() => window.ovtest?.ready === true);
                    ms = await page.evaluate(joinWithSdk, { devApi, room: ROOM });
                }
                results[kind].push(Math.round(ms));
                console.log(`trial ${i + 1} ${kind}: ${Math.round(ms)} ms`);
                await page.close();
            }
        }
    } finally {
        await browser.close();
        await pages.close();
        await server.stop();
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    for (const [kind, ms] of Object.entries(results)) {
        console.log(`${kind}: median ${median(ms)} ms, min ${Math.min(...ms)}, max ${Math.max(...ms)} (${ms.join(', ')})`);
    }
}

await main();
