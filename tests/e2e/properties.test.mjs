// Stream properties (spec §3.9, §4.8, §5.3, §11): publishAudio / publishVideo
// toggles, replaceTrack, as the other participants' openvidu-browser sees them
// (streamPropertyChanged with the decoded newValue/oldValue) and as REST reports
// them (publishers[].mediaOptions); publisherStart/StopSpeaking (client-side
// hark) and the server's own voice activity (REST webRtcStats serverStats).
//
// Two pages: alice publishes camera + microphone, bob publishes a camera and
// receives alice. The microphone is a WAV file (lib/audio.mjs): a tone for
// TONE_MS, then silence for SILENCE_MS, looped — Chromium's default fake
// microphone (a 20 ms beep every 500 ms) is too quiet for the server ever to
// call it speaking.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertNoEvent } from './lib/media.mjs';
import { writeToneWav } from './lib/audio.mjs';
import { waitFor, assertHolds } from './lib/wait.mjs';

const TONE_MS = 1_500;
const SILENCE_MS = 1_500;
/** Longer than one tone + silence loop: a muted microphone is watched for a whole tone. */
const MUTED_WATCH_MS = TONE_MS + SILENCE_MS + 1_000;

const s = { sessionId: null, p: {}, wav: null };

const h = useHarness('properties', {
    setup: async () => (s.sessionId = await h.newSession('props')),
    browserArgs: async () => {
        s.wav = await writeToneWav({ toneMs: TONE_MS, silenceMs: SILENCE_MS });
        return [`--use-file-for-fake-audio-capture=${s.wav.file}`];
    },
    teardown: async () => s.wav?.remove()
});
const step = makeSteps(h);

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
        const p = (s.p[name] = await h.participant(name));
        await h.joinSession(p, s.sessionId, { audio: name === 'alice' });
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
    await waitForDecoding(bob, [alice.streamId], { audio: true, exact: true });
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
    const stats = await waitForDecoding(bob, [alice.streamId], { exact: true });
    const st = stats.find((x) => x.streamId === alice.streamId);
    assert.deepEqual([st.video.frameWidth, st.video.frameHeight], [160, 120], '[bob] still decoding 160x120 frames');
});

/** alice's and bob's publisher serverStats from REST GET /sessions/{id}?webRtcStats=true. */
async function serverStats() {
    const session = await h.rest.request('GET', `/sessions/${s.sessionId}?webRtcStats=true`);
    const of = (p) => {
        const conn = session.connections.content.find((c) => c.connectionId === p.connectionId);
        assert.ok(conn, `${p.name} is listed: ${JSON.stringify(session).slice(0, 600)}`);
        assert.equal(conn.publishers.length, 1, `${p.name} publishes one stream`);
        const pub = conn.publishers[0];
        assert.equal(typeof pub.webrtcEndpointName, 'string', `webRtcStats fields: ${JSON.stringify(Object.keys(pub))}`);
        assert.ok(pub.serverStats, `publishers[0].serverStats of ${p.name}: ${JSON.stringify(pub).slice(0, 600)}`);
        return pub.serverStats;
    };
    return { alice: of(s.p.alice), bob: of(s.p.bob) };
}

/** Sets alice's microphone on or off and waits until bob was told. */
async function setAliceAudio(on) {
    const { alice, bob } = s.p;
    const before = (await bob.eventsMatching({ type: 'streamPropertyChanged', streamId: alice.streamId, changedProperty: 'audioActive' })).length;
    assert.deepEqual(await alice.call('publishAudio', [on]), { audioActive: on });
    await waitFor(
        async () =>
            (await bob.eventsMatching({ type: 'streamPropertyChanged', streamId: alice.streamId, changedProperty: 'audioActive' })).length > before,
        { timeoutMs: 5_000, what: `[bob] audioActive ${on} of alice` }
    );
}

/** The speaking events of `p` about alice: their types, in order. */
async function speakingEvents(p) {
    return (await p.events())
        .filter((e) => (e.type === 'publisherStartSpeaking' || e.type === 'publisherStopSpeaking') && e.connectionId === s.p.alice.connectionId)
        .map((e) => e.type);
}

step('publisherStartSpeaking then publisherStopSpeaking (hark, the SDK\'s defaults) follow alice\'s tone and silence, on her page and on bob\'s; muted, she starts speaking nowhere', async () => {
    const { alice, bob } = s.p;
    await alice.call('listenSpeaking', []);
    await bob.call('listenSpeaking', []);
    for (const p of [alice, bob]) {
        const start = await p.waitForEvent({ type: 'publisherStartSpeaking', connectionId: alice.connectionId }, { timeoutMs: 8_000 });
        assert.equal(start.streamId, alice.streamId, `[${p.name}] publisherStartSpeaking streamId`);
        // The silence after the tone ends it.
        await waitFor(async () => (await speakingEvents(p)).slice(-2).join() === 'publisherStartSpeaking,publisherStopSpeaking', {
            timeoutMs: 8_000,
            what: `[${p.name}] publisherStopSpeaking after publisherStartSpeaking`,
            describe: async () => JSON.stringify(await speakingEvents(p))
        });
    }

    await setAliceAudio(false);
    // Whatever she was doing when muted, it ends; then no new start for more than a whole loop.
    const starts = {};
    for (const p of [alice, bob]) {
        await waitFor(async () => (await speakingEvents(p)).at(-1) === 'publisherStopSpeaking', {
            timeoutMs: 5_000,
            what: `[${p.name}] alice stopped speaking once muted`
        });
        starts[p.name] = (await speakingEvents(p)).filter((t) => t === 'publisherStartSpeaking').length;
    }
    await Promise.all(
        [alice, bob].map((p) =>
            assertHolds(async () => (await speakingEvents(p)).filter((t) => t === 'publisherStartSpeaking').length === starts[p.name], {
                forMs: MUTED_WATCH_MS,
                what: `[${p.name}] no publisherStartSpeaking of muted alice`,
                describe: async () => JSON.stringify(await speakingEvents(p))
            })
        )
    );

    // Unmuted, she speaks again (the watch above was not blind).
    await setAliceAudio(true);
    await waitFor(async () => (await speakingEvents(bob)).filter((t) => t === 'publisherStartSpeaking').length > starts.bob, {
        timeoutMs: 8_000,
        what: '[bob] publisherStartSpeaking of alice, unmuted'
    });
}, { independent: true });

step('REST ?webRtcStats=true serverStats: alice\'s tone → speaking true with an audioLevel below silence, her pauses → speaking false; bob (no audio) never speaks; muted, alice does not speak', async (t) => {
    const samples = [];
    const check = (x) => {
        samples.push(x);
        const { alice, bob } = x;
        assert.ok(Number.isInteger(alice.audioLevel) && alice.audioLevel >= 0 && alice.audioLevel <= 127, `alice audioLevel in 0..127 (-dBov): ${JSON.stringify(alice)}`);
        assert.equal(typeof alice.speaking, 'boolean', JSON.stringify(alice));
        if (alice.speaking) assert.ok(alice.audioLevel < 127, `speaking at the level of silence: ${JSON.stringify(alice)}`);
        assert.equal(bob.speaking, false, `bob has no audio and never speaks: ${JSON.stringify(bob)}`);
        assert.equal(bob.audioLevel, null, `bob has no audio level: ${JSON.stringify(bob)}`);
        return x;
    };
    // While her audio flows she speaks (the tone), then stops (the silence).
    await waitFor(
        async () => {
            check(await serverStats());
            const spoke = samples.findIndex((x) => x.alice.speaking);
            return spoke >= 0 && samples.slice(spoke).some((x) => !x.alice.speaking);
        },
        {
            timeoutMs: 10_000,
            intervalMs: 100,
            what: 'alice speaking, then not, in serverStats',
            describe: async () => JSON.stringify(samples.map((x) => [x.alice.audioLevel, x.alice.speaking]))
        }
    );
    const levels = [...new Set(samples.map((x) => x.alice.audioLevel))];
    t.diagnostic(`alice's audioLevel values while her audio flows: ${JSON.stringify(levels)}`);
    assert.ok(levels.length >= 2, `audioLevel changes with the audio: ${JSON.stringify(levels)}`);
    assert.ok(Math.min(...levels) < 127, `audioLevel goes below silence (127): ${JSON.stringify(levels)}`);

    // Muted: she stops speaking and does not speak again for more than a whole loop.
    await setAliceAudio(false);
    await waitFor(async () => !check(await serverStats()).alice.speaking, { timeoutMs: 5_000, what: 'muted alice: speaking false' });
    await assertHolds(async () => !check(await serverStats()).alice.speaking, {
        forMs: MUTED_WATCH_MS,
        intervalMs: 200,
        what: 'muted alice never speaking in serverStats',
        describe: async () => JSON.stringify(samples.slice(-5))
    });
    t.diagnostic(`muted alice's audioLevel: ${samples.at(-1).alice.audioLevel}`);

    // Unmuted, she speaks again (the watch above was not blind).
    await setAliceAudio(true);
    await waitFor(async () => check(await serverStats()).alice.speaking, {
        timeoutMs: 8_000,
        intervalMs: 100,
        what: 'unmuted alice speaking again in serverStats'
    });
}, { independent: true });
