// Stream properties (spec §3.9, §4.8, §5.3, §11): publishAudio / publishVideo
// toggles, replaceTrack, as the other participants' openvidu-browser sees them
// (streamPropertyChanged with the decoded newValue/oldValue) and as REST reports
// them (publishers[].mediaOptions); publisherStartSpeaking (client-side hark on
// the fake microphone's beep); REST webRtcStats server stats.
//
// Two pages: alice publishes camera + microphone, bob publishes a camera and
// receives alice.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertMediaGrows } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';

const h = useHarness('properties', { setup: createSession });
const step = makeSteps(h);

const s = { sessionId: null, p: {} };

async function createSession() {
    s.sessionId = h.uniqueId('props');
    await h.rest.createSession(s.sessionId);
}

async function mediaOptions(p) {
    const c = await h.rest.getConnection(s.sessionId, p.connectionId);
    assert.equal(c.publishers.length, 1, `REST: ${p.name} has one publisher: ${JSON.stringify(c.publishers)}`);
    return c.publishers[0].mediaOptions;
}

/** Waits for bob's streamPropertyChanged number `nth` (1-based) of `property` on alice's stream. */
async function remoteChange(property, nth = 1) {
    const { alice, bob } = s.p;
    const all = await bob.waitForEvents({ type: 'streamPropertyChanged', streamId: alice.streamId, changedProperty: property }, nth);
    return all[nth - 1];
}

step('alice (camera + microphone) and bob join; bob decodes alice', async () => {
    for (const name of ['alice', 'bob']) {
        const c = await h.rest.createConnection(s.sessionId, { role: 'PUBLISHER', data: name });
        const p = (s.p[name] = await h.participant(name));
        await p.join({ token: c.token, publish: true, audio: name === 'alice', video: true });
    }
    await waitForDecoding(s.p.bob, [s.p.alice.streamId], { audio: true, exact: true });
    const opts = await mediaOptions(s.p.alice);
    assert.equal(opts.audioActive, true);
    assert.equal(opts.videoActive, true);
    assert.equal(opts.videoDimensions, JSON.stringify({ width: 320, height: 240 }), 'REST videoDimensions (a JSON string)');
    const remote = await s.p.bob.call('remoteStream', [s.p.alice.streamId]);
    assert.deepEqual(
        [remote.audioActive, remote.videoActive, remote.typeOfVideo, remote.videoDimensions],
        [true, true, 'CAMERA', { width: 320, height: 240 }],
        `[bob] alice's Stream: ${JSON.stringify(remote)}`
    );
});

step('publishAudio(false) → bob: streamPropertyChanged audioActive false (old true, reason publishAudio), Stream.audioActive false; REST mediaOptions.audioActive false; and back', async () => {
    const { alice, bob } = s.p;
    assert.deepEqual(await alice.call('publishAudio', [false]), { audioActive: false });
    const off = await remoteChange('audioActive', 1);
    assert.deepEqual([off.newValue, off.oldValue, off.reason], [false, true, 'publishAudio'], `[bob] ${JSON.stringify(off)}`);
    assert.equal(off.connectionId, alice.connectionId);
    assert.equal((await bob.call('remoteStream', [alice.streamId])).audioActive, false, '[bob] Stream.audioActive');
    const own = await alice.waitForEvent({ type: 'streamPropertyChanged', changedProperty: 'audioActive' });
    assert.deepEqual([own.newValue, own.reason], [false, 'publishAudio'], '[alice] its own Session event (after the server answered)');
    await waitFor(async () => (await mediaOptions(alice)).audioActive === false, {
        timeoutMs: 3_000,
        what: 'REST publishers[0].mediaOptions.audioActive === false',
        describe: async () => JSON.stringify(await mediaOptions(alice))
    });

    await alice.call('publishAudio', [true]);
    const on = await remoteChange('audioActive', 2);
    assert.deepEqual([on.newValue, on.oldValue, on.reason], [true, false, 'publishAudio'], `[bob] ${JSON.stringify(on)}`);
    assert.equal((await bob.call('remoteStream', [alice.streamId])).audioActive, true);
    assert.equal((await mediaOptions(alice)).audioActive, true, 'REST after publishAudio(true)');
});

step('publishVideo(false) → bob: streamPropertyChanged videoActive false (old true, reason publishVideo); REST videoActive false; publishVideo(true) → video decodes again', async () => {
    const { alice, bob } = s.p;
    const r = await alice.call('publishVideo', [false]);
    assert.equal(r.ok, true, JSON.stringify(r));
    const off = await remoteChange('videoActive', 1);
    assert.deepEqual([off.newValue, off.oldValue, off.reason], [false, true, 'publishVideo'], `[bob] ${JSON.stringify(off)}`);
    assert.equal((await bob.call('remoteStream', [alice.streamId])).videoActive, false, '[bob] Stream.videoActive');
    await waitFor(async () => (await mediaOptions(alice)).videoActive === false, {
        timeoutMs: 3_000,
        what: 'REST publishers[0].mediaOptions.videoActive === false'
    });

    await alice.call('publishVideo', [true]);
    const on = await remoteChange('videoActive', 2);
    assert.deepEqual([on.newValue, on.oldValue, on.reason], [true, false, 'publishVideo'], `[bob] ${JSON.stringify(on)}`);
    const remote = await bob.call('remoteStream', [alice.streamId]);
    assert.equal(remote.videoActive, true);
    assert.equal(remote.videoTrackEnabled, true, '[bob] the remote video track is enabled again');
    assert.equal((await mediaOptions(alice)).videoActive, true, 'REST after publishVideo(true)');
    await assertMediaGrows(bob, [alice.streamId], { audio: true });
});

step('replaceTrack(160x120 canvas track) → bob: streamPropertyChanged videoTrack {label} and videoDimensions 320x240 → 160x120 (reason trackReplaced); bob decodes 160x120 frames', async () => {
    const { alice, bob } = s.p;
    const r = await alice.call('replaceVideoTrack', [{ width: 160, height: 120 }]);
    assert.equal(r.ok, true, `replaceTrack: ${JSON.stringify(r)}`);
    const track = await remoteChange('videoTrack', 1);
    assert.equal(track.reason, 'trackReplaced');
    assert.deepEqual(track.newValue, { label: r.label }, `[bob] newValue of videoTrack: ${JSON.stringify(track)}`);
    const dims = await remoteChange('videoDimensions', 1);
    assert.equal(dims.reason, 'trackReplaced');
    assert.deepEqual(dims.newValue, { width: 160, height: 120 }, `[bob] ${JSON.stringify(dims)}`);
    assert.deepEqual(dims.oldValue, { width: 320, height: 240 }, `[bob] ${JSON.stringify(dims)}`);
    assert.deepEqual((await bob.call('remoteStream', [alice.streamId])).videoDimensions, { width: 160, height: 120 });
    await waitFor(async () => (await mediaOptions(alice)).videoDimensions === JSON.stringify({ width: 160, height: 120 }), {
        timeoutMs: 3_000,
        what: 'REST mediaOptions.videoDimensions of the new track',
        describe: async () => JSON.stringify(await mediaOptions(alice))
    });
    // The new track's frames reach bob (no renegotiation: RTCRtpSender.replaceTrack).
    await waitFor(
        async () => {
            const st = (await bob.stats()).find((x) => x.streamId === alice.streamId);
            return st?.video?.frameWidth === 160 && st.video.frameHeight === 120;
        },
        {
            timeoutMs: 10_000,
            what: '[bob] decoded frames of 160x120',
            describe: async () => JSON.stringify(await bob.stats())
        }
    );
    await assertMediaGrows(bob, [alice.streamId]);
});

// The fake microphone beeps every 500 ms; measured with hark's analyser (fftSize 512,
// smoothing 0.1) a beep peaks at ≈ -45 dB and decays (-59, -75, -95 dB every 100 ms),
// while hark needs three samples in a row above the threshold: with the default
// {interval: 100, threshold: -50} it never fires here, so use {interval: 50, threshold: -75}.
step('publisherStartSpeaking fires (hark, interval 50 ms, threshold -75 dB) for alice\'s beeping microphone, on her page and on bob\'s', async () => {
    const { alice, bob } = s.p;
    await alice.call('listenSpeaking', [{ interval: 50, threshold: -75 }]);
    await bob.call('listenSpeaking', [{ interval: 50, threshold: -75 }]);
    const local = await alice.waitForEvent({ type: 'publisherStartSpeaking', connectionId: alice.connectionId }, { timeoutMs: 8_000 });
    assert.equal(local.streamId, alice.streamId);
    const remote = await bob.waitForEvent({ type: 'publisherStartSpeaking', connectionId: alice.connectionId }, { timeoutMs: 8_000 });
    assert.equal(remote.streamId, alice.streamId);
    // bob publishes no audio: nobody ever speaks for him.
    assert.deepEqual(await bob.eventsMatching({ type: 'publisherStartSpeaking', connectionId: bob.connectionId }), []);
}, { independent: true });

step('REST GET /sessions/{id}?webRtcStats=true: each publisher has serverStats with a numeric audioLevel', async () => {
    const { alice } = s.p;
    const session = await h.rest.request('GET', `/sessions/${s.sessionId}?webRtcStats=true`);
    const conn = session.connections.content.find((c) => c.connectionId === alice.connectionId);
    assert.ok(conn, 'alice is listed');
    const pub = conn.publishers[0];
    assert.equal(typeof pub.webrtcEndpointName, 'string', `webRtcStats fields: ${JSON.stringify(Object.keys(pub))}`);
    assert.ok(pub.serverStats, `publishers[0].serverStats: ${JSON.stringify(pub).slice(0, 600)}`);
    assert.equal(typeof pub.serverStats.audioLevel, 'number', `serverStats.audioLevel: ${JSON.stringify(pub.serverStats)}`);
}, { independent: true });
