// Benchmark (not a test): time from "join" to the first decoded frame of a remote video, for
// the same action done three ways in one run, interleaved: a page on the official
// openvidu-browser 2.32.2, a page on our SDK (sdk/browser), and the deployment's call page
// (`/?room=…`, Join). Each trial is a fresh tab that fetches its token from the development
// API, connects, publishes its camera and subscribes to the one publisher already in the
// room; the clock starts just before the token request and stops at the first frame the
// remote <video> presents (requestVideoFrameCallback on every remote video track the page
// receives, hooked the same way for the three). After each trial the tab leaves and the
// benchmark waits until REST lists the publisher alone again, so every trial subscribes to
// that one stream; the order of the three kinds rotates from trial to trial.
//
//   cargo build --release -p ov-server
//   cd tests/e2e && ../../scripts/loopback-netns.sh node bench/first-frame.mjs [trials per kind] [--timeline]
//
// Prints each trial and, per kind, the median, min and max in milliseconds. With --timeline,
// each trial also prints when each step of the join happened (bench/timeline-hook.mjs).

import { buildBundle } from '../lib/bundle.mjs';
import { startServer } from '../lib/server.mjs';
import { startPageServer } from '../lib/page-server.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { Rest } from '../lib/rest.mjs';
import { hookTimeline } from './timeline-hook.mjs';

const args = process.argv.slice(2);
const TIMELINE = args.includes('--timeline');
const TRIALS = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
/** A person takes a moment before joining: the page's own start-up (its icon, the late
 * work after load) is over before the clock starts, for every kind alike. */
const SETTLE_MS = 500;
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
    const t0 = (window.__t0 = performance.now());
    const post = async (path, body) => (await fetch(devApi + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).text();
    const sessionId = await post('api/sessions', { customSessionId: room });
    const token = await post(`api/sessions/${sessionId}/connections`, {});
    // Like the openvidu-js tutorial: the camera and every remote stream shown in one container.
    const videos = document.createElement('div');
    videos.style.cssText = 'display:grid;grid-template-columns:1fr 1fr;gap:6px;width:100%';
    document.body.append(videos);
    const ov = new window.OpenVidu();
    const session = ov.initSession();
    session.on('streamCreated', (e) => session.subscribe(e.stream, videos));
    session.on('videoElementCreated', (e) => { e.element.style.width = '100%'; });
    await session.connect(token, { clientData: 'bench' });
    const publisher = await ov.initPublisherAsync(videos, { publishAudio: true, publishVideo: true });
    publisher.on('videoElementCreated', (e) => { e.element.style.width = '100%'; });
    await session.publish(publisher);
    window.__benchLeave = () => session.disconnect();
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
        const alone = await rest.connectionIds(ROOM);
        const kinds = Object.keys(results);
        for (let i = 0; i < TRIALS; i++) {
            // Each trial in another order, so no kind always goes first or last.
            for (const kind of kinds.map((_, k) => kinds[(k + i) % kinds.length])) {
                const page = await browser.context.newPage();
                await page.addInitScript(hookRemoteVideo);
                if (TIMELINE) await page.addInitScript(hookTimeline);
                let ms;
                if (kind === 'call page') {
                    await page.goto(`${server.url}/?room=${ROOM}`);
                    await page.fill('#prejoin-name', `bench${i}`);
                    // Ready as the SDK pages are (their SDK loaded): the components loaded.
                    await page.waitForFunction(() => !!customElements.get('openvidu-call'));
                    await page.waitForTimeout(SETTLE_MS);
                    ms = await page.evaluate(async () => {
                        const t0 = (window.__t0 = performance.now());
                        document.getElementById('join-button').click();
                        return (await window.__firstFrame) - t0;
                    });
                } else {
                    await page.goto(kind === 'ours' ? `${pages.url}?sdk=ours` : pages.url);
                    await page.waitForFunction(() => window.ovtest?.ready === true);
                    await page.waitForTimeout(SETTLE_MS);
                    ms = await page.evaluate(joinWithSdk, { devApi, room: ROOM });
                }
                results[kind].push(Math.round(ms));
                console.log(`trial ${i + 1} ${kind}: ${Math.round(ms)} ms`);
                if (TIMELINE) {
                    const marks = await page.evaluate(() => window.__marks.map(([t, what]) => [Math.round(t - window.__t0), what]));
                    for (const [t, what] of marks) if (t >= 0) console.log(`    ${String(t).padStart(5)} ms  ${what}`);
                }
                // Leave, and wait until the room is back to its one publisher: every trial
                // subscribes to the same single stream.
                await page.evaluate(() => (window.__benchLeave ? window.__benchLeave() : document.querySelector('openvidu-call').leave()));
                await rest.waitForConnectionIds(ROOM, alone, { what: 'the publisher alone' });
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
