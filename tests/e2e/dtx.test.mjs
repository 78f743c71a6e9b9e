// Opus DTX with the unmodified openvidu-browser: the server answers publishers with
// `usedtx=1`, so a microphone that goes quiet sends a few packets a second instead of
// 50. The microphone here plays a tone for 1 s, then 2 s of silence, in a loop
// (lib/audio.mjs; Chromium's default fake microphone is never quiet enough for DTX):
//   * alice's encoder sends well under 50 packets/s, and bob still hears the tone;
//   * a COMPOSED recording keeps the silences in time: the decoded audio is as long as the
//     video, and the tones start 3 s apart (gaps dropped would bring them closer).
// The steps share one session and run in order.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { writeToneWav } from './lib/audio.mjs';
import { useHarness } from './lib/harness.mjs';
import { audioLevels, probe } from './lib/media-files.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { makeSteps } from './lib/steps.mjs';
import { sleep } from './lib/wait.mjs';

const TONE_MS = 1_000;
const SILENCE_MS = 2_000;
const PERIOD_S = (TONE_MS + SILENCE_MS) / 1000;
/** Without DTX Opus sends 50 packets/s whatever it hears. */
const MAX_DTX_PACKETS_PER_S = 35;

const s = { dir: null, wav: null, sessionId: null, alice: null, bob: null };

const h = useHarness('dtx', {
    serverOptions: async () => {
        s.dir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-dtx-'));
        return { env: { OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: s.dir } };
    },
    browserArgs: async () => {
        s.wav = await writeToneWav({ toneMs: TONE_MS, silenceMs: SILENCE_MS });
        return [`--use-file-for-fake-audio-capture=${s.wav.file}`];
    },
    setup: async () => (s.sessionId = await h.newSession('dtx')),
    teardown: async () => {
        await s.wav?.remove();
        if (s.dir) await rm(s.dir, { recursive: true, force: true });
    }
});
const step = makeSteps(h);

/** alice's sent and bob's received audio numbers, at one moment. */
async function audioNumbers() {
    const [sent, received] = await Promise.all([s.alice.publisherStats(), s.bob.stats()]);
    const fromAlice = received.find((x) => x.streamId === s.alice.streamId);
    return { at: Date.now(), sent: sent.audio, received: fromAlice?.audio };
}

step('alice publishes camera + microphone; bob decodes her video and receives her audio', async () => {
    s.alice = await h.publisher('alice', s.sessionId, { audio: true, resolution: '320x240', frameRate: 15 });
    s.bob = await h.participant('bob');
    await h.joinSession(s.bob, s.sessionId, { role: 'SUBSCRIBER', publish: false });
    await waitForDecoding(s.bob, [s.alice.streamId], { audio: true, exact: true });
});

step('between tones alice sends DTX: under 35 audio packets/s (50 without), with usedtx=1 negotiated; bob hears the tone, without loss', async (t) => {
    const before = await audioNumbers();
    await sleep(2 * PERIOD_S * 1000);
    const after = await audioNumbers();
    const seconds = (after.at - before.at) / 1000;
    const sentPerS = (after.sent.packetsSent - before.sent.packetsSent) / seconds;
    const receivedPerS = (after.received.packetsReceived - before.received.packetsReceived) / seconds;
    const energy = after.received.totalAudioEnergy - before.received.totalAudioEnergy;
    t.diagnostic(`over ${seconds.toFixed(1)} s: alice sent ${sentPerS.toFixed(1)} packets/s (fmtp ${after.sent.fmtp}), bob received ${receivedPerS.toFixed(1)}/s, ${after.received.packetsLost} lost, audio energy +${energy.toFixed(4)}`);
    assert.match(after.sent.fmtp ?? '', /usedtx=1/, "alice's send codec");
    assert.ok(sentPerS < MAX_DTX_PACKETS_PER_S, `alice sends ${sentPerS.toFixed(1)} audio packets/s`);
    // A third of the time is tone at 50 packets/s.
    assert.ok(sentPerS > 10, `alice sends ${sentPerS.toFixed(1)} audio packets/s`);
    assert.ok(receivedPerS > sentPerS * 0.9, `bob receives ${receivedPerS.toFixed(1)} of ${sentPerS.toFixed(1)} packets/s`);
    assert.equal(after.received.packetsLost, 0, 'DTX gaps are not loss: sequence numbers stay continuous');
    // The tone (0.3 of full scale) for 2 s gives about 0.09; silence nothing.
    assert.ok(energy > 0.02, `bob's decoded audio energy grew by ${energy}`);
});

step('a COMPOSED recording of the DTX audio keeps the silences in time: as long as the video, tones 3 s apart', async (t) => {
    const { id } = await h.rest.startRecording(s.sessionId);
    await sleep(3 * PERIOD_S * 1000);
    const stopped = await h.rest.stopRecording(id);
    assert.equal(stopped.status, 'ready');
    const res = await fetch(stopped.url, { headers: { Authorization: h.server.authHeader } });
    assert.equal(res.status, 200);
    const file = path.join(s.dir, 'dtx.mp4');
    await writeFile(file, Buffer.from(await res.arrayBuffer()));

    const probed = await probe(file);
    assert.deepEqual(probed.codecs, { video: ['h264'], audio: ['aac'] });
    const videoS = Number(probed.streams.find((x) => x.codec_type === 'video').duration);
    const windows = await audioLevels(file);
    const audioS = windows.length / 10;
    // Where each tone starts: a loud 100 ms window after a quiet one.
    const starts = [];
    for (let i = 1; i < windows.length; i++) {
        if (windows[i].peak > 0.05 && windows[i - 1].peak < 0.02) starts.push(i / 10);
    }
    const loud = windows.filter((w) => w.peak > 0.05).length;
    t.diagnostic(`video ${videoS} s, decoded audio ${audioS} s, ${loud} loud windows of ${windows.length}, tones start at ${starts.join(', ')} s`);
    assert.ok(Math.abs(audioS - videoS) < 0.5, `decoded audio ${audioS} s against video ${videoS} s`);
    assert.ok(starts.length >= 2, `at least two tones start in ${audioS} s: ${starts}`);
    for (let i = 1; i < starts.length; i++) {
        const gap = starts[i] - starts[i - 1];
        assert.ok(Math.abs(gap - PERIOD_S) < 0.4, `tones ${PERIOD_S} s apart, not ${gap.toFixed(1)} s: ${starts}`);
    }
    // About a third of the time is tone.
    assert.ok(loud > windows.length * 0.2 && loud < windows.length * 0.5, `${loud} loud windows of ${windows.length}`);
});
