// Self-checks of the e2e harness (no WebSocket signalling needed): the network
// guard, Chromium, the openvidu-browser bundle, the fake camera, REST tokens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';

import { useHarness } from './lib/harness.mjs';
import { openviduBrowserVersion } from './lib/bundle.mjs';
import { waitFor } from './lib/wait.mjs';
import { waitForRates, MIN_FPS } from './lib/media.mjs';

const h = useHarness('harness');

test('runs in a network namespace that has only loopback', () => {
    for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
        for (const a of addrs ?? []) {
            assert.ok(a.internal, `interface ${name} has non-loopback address ${a.address}`);
        }
    }
});

test('the page loads the official openvidu-browser 2.32.2 bundle', h.guard(async () => {
    assert.equal(await openviduBrowserVersion(), '2.32.2');
    const p = await h.participant('self-check');
    const info = await p.evaluate(() => {
        const OV = new window.OpenVidu();
        return {
            userAgent: navigator.userAgent,
            libraryVersion: OV.libraryVersion,
            systemRequirements: OV.checkSystemRequirements(),
            hasSession: typeof OV.initSession().connect === 'function',
            exports: Object.keys(window.OpenViduBrowser).sort()
        };
    });
    assert.equal(info.libraryVersion, '2.32.2');
    assert.ok(info.systemRequirements, `openvidu-browser does not support this browser: ${info.userAgent}`);
    assert.ok(info.hasSession);
    assert.ok(info.exports.includes('OpenViduError'), info.exports.join(','));
    assert.match(info.userAgent, /Chrome\/\d+/);
}));

test('requests to hosts other than loopback are aborted', h.guard(async () => {
    const p = h.participants[0] ?? (await h.participant('self-check'));
    // `.invalid` never resolves: the route aborts it before any DNS lookup.
    const r = await p.evaluate(() =>
        fetch('http://example.invalid/').then(
            () => 'fetched',
            (e) => `rejected: ${e.message}`
        )
    );
    assert.match(r, /^rejected/);
    assert.ok(h.browser.blocked.some((u) => u.startsWith('http://example.invalid/')), JSON.stringify(h.browser.blocked));
}));

test('the fake camera gives a 320x240 local video that plays', h.guard(async () => {
    const p = h.participants[0] ?? (await h.participant('self-check'));
    const init = await p.evaluate(() => window.ovtest.initLocalPublisher(), undefined, { timeoutMs: 20_000 });
    assert.ok(init.ok, JSON.stringify(init));
    assert.equal(init.libraryVersion, '2.32.2');
    assert.equal(init.audioTracks, 1);
    assert.equal(init.videoSettings.width, 320);
    assert.equal(init.videoSettings.height, 240);
    const first = await waitFor(
        async () => {
            const v = (await p.evaluate(() => window.ovtest.localVideo()))[0];
            return v && v.width > 0 && !v.paused && v.totalVideoFrames > 0 ? v : null;
        },
        { timeoutMs: 10_000, what: 'the local <video> to play', describe: async () => JSON.stringify(await p.evaluate(() => window.ovtest.localVideo())) }
    );
    assert.equal(first.width, 320);
    assert.equal(first.height, 240);
    // It plays at a sustained rate: frames shown and playback time both advance.
    const { sample } = await waitForRates(
        async () => {
            const v = (await p.evaluate(() => window.ovtest.localVideo()))[0];
            if (!v || v.paused) return null;
            return {
                key: 'local',
                counters: {
                    'frames shown': { value: v.totalVideoFrames, at: v.at, min: MIN_FPS },
                    // playback time (ms) per second of wall clock: at least half speed
                    'playback ms': { value: v.currentTime * 1000, at: v.at, min: 500 }
                },
                video: v
            };
        },
        { what: 'the local <video> playing', timeoutMs: 10_000 }
    );
    assert.deepEqual([sample.video.width, sample.video.height], [320, 240]);
}));

test('REST creates sessions and PUBLISHER tokens pointing at the server', h.guard(async () => {
    const sessionId = h.uniqueId('harness');
    const s = await h.rest.createSession(sessionId);
    assert.equal(s.id, sessionId);
    const c = await h.rest.createConnection(sessionId, { role: 'PUBLISHER', data: 'server-data' });
    assert.equal(c.role, 'PUBLISHER');
    assert.equal(c.status, 'pending');
    const escaped = sessionId.replace(/[-]/g, '\\-');
    assert.match(c.token, new RegExp(`^ws://127\\.0\\.0\\.1:${h.server.port}\\?sessionId=${escaped}&token=tok_[A-Za-z0-9]+$`));
}));
