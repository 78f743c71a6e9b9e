// Recording a real call (OPENVIDU_RECORDING=true, the openvidu-recorder beside the
// server): three pages publish Chromium's fake camera (green, moving) and microphone
// (a beep every 500 ms); the files are checked as a player would read them (ffprobe,
// decoded frames and audio, lib/media-files.mjs):
//   * COMPOSED: an MP4 served with the secret only, H.264 + AAC of the recorded length,
//     the publishers' tiles in the picture, moving, and the beeps in the sound;
//   * INDIVIDUAL: a ZIP of one WebM per stream (VP8 + Opus, decodable) and the sync JSON;
//   * crash safety: a recorder killed (-9) fails its recording only, the call goes on;
//     a server killed (-9) leaves a playable MP4, reported `failed` by the next server.
// The steps share the session and run in order; the last one restarts the server.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding } from './lib/media.mjs';
import { audioLevels, frameDifference, frames as decodedFrames, probe, readZip } from './lib/media-files.mjs';
import { Rest } from './lib/rest.mjs';
import { startServer } from './lib/server.mjs';
import { sleep, waitFor } from './lib/wait.mjs';

const NAMES = ['alice', 'bob', 'carol'];
const rec = { dir: null, sessionId: null, p: {}, connections: {} };

function recordingServerOptions() {
    return { env: { OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: rec.dir } };
}

const h = useHarness('recording', {
    serverOptions: async () => {
        rec.dir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-recordings-'));
        return recordingServerOptions();
    },
    // The recordings folder as it was (files included), for a look at what failed.
    saveArtifacts: (h, dir, prefix) => cp(rec.dir, path.join(dir, `${prefix}-recordings`), { recursive: true }),
    teardown: async () => {
        if (rec.dir) await rm(rec.dir, { recursive: true, force: true });
    }
});
const step = makeSteps(h);

/** A recording's file on disk. */
const onDisk = (id, file) => path.join(rec.dir, id, file);

/** Starts a recording of the session with `body`'s properties; resolves the Recording JSON. */
async function startRecording(body) {
    const r = await h.rest.startRecording(rec.sessionId, body);
    assert.equal(r.status, 'started');
    return r;
}

/** GET /recordings/{id}. */
async function getRecording(id) {
    const r = await h.rest.raw('GET', `/recordings/${encodeURIComponent(id)}`);
    assert.equal(r.status, 200, `get ${id}: ${r.status} ${r.text}`);
    return r.json;
}

/** Downloads a recording's `url` with the secret; checks it is refused without; resolves the bytes. */
async function download(url) {
    const refused = await fetch(url);
    assert.equal(refused.status, 401, `${url} without the secret`);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic/);
    const res = await fetch(url, { headers: { Authorization: h.server.authHeader } });
    assert.equal(res.status, 200, `${url} with the secret`);
    return { bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

/** The pid of the openvidu-recorder process of recording `id` (its environment names it), or null. */
function recorderPid(id) {
    for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
            const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
            if (env.includes(`OPENVIDU_RECORDING_ID=${id}`) && cmdline.includes('openvidu-recorder')) return Number(entry);
        } catch {
            // gone, or not ours to read
        }
    }
    return null;
}

const processGone = (pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'latin1').split(' ')[2] === 'Z';

/**
 * The video of `file` as a viewer sees it: decoded frames (2 per second, after the first
 * second) that are not black, have content (not one flat colour) and change over time.
 * `halves`: both halves of the picture are lit (two tiles side by side); `minFrames`: the
 * least frames after the first second.
 */
async function assertVideoShows(file, { halves = false, minFrames = 4 } = {}) {
    const frames = (await decodedFrames(file)).slice(2);
    assert.ok(frames.length >= minFrames, `${file}: ${frames.length} frames decoded after the first second`);
    const summary = frames.map((f) => `${Math.round(f.mean)}/${Math.round(f.stddev)}/${Math.round(f.left)}|${Math.round(f.right)}`).join(' ');
    const lit = frames.filter((f) => f.mean > 25 && f.stddev > 8 && (!halves || (f.left > 25 && f.right > 25)));
    assert.ok(lit.length >= frames.length * 0.8, `${file}: most frames show the cameras (mean/stddev/left|right): ${summary}`);
    const moved = frameDifference(frames[0], frames.at(-2));
    assert.ok(moved > 0.5, `${file}: the picture changes over time (difference ${moved.toFixed(2)})`);
}

/**
 * The audio of `file` is not silent: the fake microphones' beeps, at least one a second,
 * with quiet between them. `sources` beep trains mixed (COMPOSED) leave fewer quiet
 * windows, since they are not in step; a constant tone or noise leaves none.
 */
async function assertAudioBeeps(file, seconds, sources = 1) {
    const windows = await audioLevels(file);
    const loud = windows.filter((w) => w.peak > 0.05).length;
    const peak = Math.max(...windows.map((w) => w.peak));
    assert.ok(loud >= Math.floor(seconds) - 1, `${file}: ${loud} windows of 100 ms with a beep in ${seconds.toFixed(1)} s (peak ${peak.toFixed(3)})`);
    const quiet = windows.filter((w) => w.peak < 0.02).length;
    const minQuiet = sources === 1 ? windows.length * 0.2 : 2;
    assert.ok(quiet >= minQuiet, `${file}: beeps, not noise (${quiet} quiet windows of ${windows.length})`);
}

/** Each page decodes the others' video and audio. */
async function everyoneDecodes() {
    for (const name of NAMES) {
        const others = NAMES.filter((n) => n !== name).map((n) => rec.p[n].streamId);
        await waitForDecoding(rec.p[name], others, { audio: true });
    }
}

step('alice, bob and carol publish camera + microphone and decode each other', async () => {
    rec.sessionId = await h.newSession('recording');
    for (const name of NAMES) {
        rec.p[name] = await h.participant(name);
        rec.connections[name] = (await h.joinSession(rec.p[name], rec.sessionId, { audio: true })).conn;
    }
    await everyoneDecodes();
});

step('COMPOSED for ~5 s: ready; its MP4 (secret only) plays H.264 + AAC of that length, shows both cameras moving and beeps', async (t) => {
    const started = await startRecording({});
    const id = started.id;
    assert.equal(id, rec.sessionId);
    const begun = Date.now();
    await rec.p.alice.waitForEvent({ type: 'recordingStarted', id });
    await sleep(5_000);
    const stopping = Date.now();
    const r = await h.rest.stopRecording(id);
    const recordedS = (stopping - begun) / 1000;
    t.diagnostic(`recorded ${recordedS.toFixed(2)} s, reported duration ${r.duration} s, size ${r.size} B, stop took ${Date.now() - stopping} ms`);
    assert.equal(r.status, 'ready');
    assert.equal(r.resolution, '1280x720');
    assert.equal(r.url, `${h.server.url}/openvidu/recordings/${id}/${id}.mp4`);
    assert.ok(Math.abs(r.duration - recordedS) < 1, `duration ${r.duration} s for ${recordedS.toFixed(2)} s recorded`);
    await rec.p.bob.waitForEvent({ type: 'recordingStopped', id, reason: 'recordingStoppedByServer' });

    const { bytes, type } = await download(r.url);
    assert.equal(bytes.length, r.size);
    assert.match(type ?? '', /^video\/mp4/);
    const file = path.join(rec.dir, 'downloaded.mp4');
    await writeFile(file, bytes);
    const probed = await probe(file);
    assert.deepEqual(probed.codecs, { video: ['h264'], audio: ['aac'] });
    const video = probed.streams.find((s) => s.codec_type === 'video');
    assert.equal(`${video.width}x${video.height}`, '1280x720');
    assert.equal(video.pix_fmt, 'yuv420p');
    assert.ok(Math.abs(probed.duration - r.duration) < 0.5, `ffprobe duration ${probed.duration} s, reported ${r.duration} s`);
    await assertVideoShows(file, { halves: true });
    await assertAudioBeeps(file, probed.duration, NAMES.length);

    const thumbnail = await download(`${h.server.url}/openvidu/recordings/${id}/${id}.jpg`);
    assert.equal(thumbnail.bytes.subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG thumbnail');
    await rm(file);
});

step('INDIVIDUAL: a ZIP of one WebM per stream (VP8 + Opus, decodable) and the sync JSON', async (t) => {
    const started = await startRecording({ outputMode: 'INDIVIDUAL', name: 'individual' });
    const id = started.id;
    await sleep(4_000);
    const r = await h.rest.stopRecording(id);
    assert.equal(r.status, 'ready');
    assert.equal(r.url, `${h.server.url}/openvidu/recordings/${id}/individual.zip`);
    const { bytes } = await download(r.url);
    const entries = readZip(bytes);
    const streams = NAMES.map((n) => rec.p[n].streamId);
    assert.deepEqual([...entries.keys()].sort(), ['individual.json', ...streams.map((s) => `${s}.webm`)].sort());

    const sync = JSON.parse(entries.get('individual.json'));
    assert.equal(sync.id, id);
    assert.equal(sync.name, 'individual');
    assert.equal(sync.sessionId, rec.sessionId);
    assert.equal(sync.createdAt, r.createdAt);
    assert.equal(sync.files.length, NAMES.length);
    for (const name of NAMES) {
        const f = sync.files.find((x) => x.streamId === rec.p[name].streamId);
        assert.ok(f, `the sync file lists ${name}'s stream: ${JSON.stringify(sync.files)}`);
        assert.equal(f.name, `${f.streamId}.webm`);
        assert.equal(f.connectionId, rec.connections[name].connectionId);
        assert.equal(f.serverData, name);
        assert.equal(f.size, entries.get(f.name).length);
        assert.equal(f.hasAudio, true);
        assert.equal(f.hasVideo, true);
        assert.equal(f.typeOfVideo, 'CAMERA');
        assert.ok(f.startTimeOffset >= 0 && f.endTimeOffset - f.startTimeOffset > 2_000, `offsets ${f.startTimeOffset}..${f.endTimeOffset}`);
    }
    assert.equal(r.size, sync.files.reduce((sum, f) => sum + f.size, 0), 'size = the streams\' files');

    for (const s of streams) {
        const file = path.join(rec.dir, `${s}.webm`);
        await writeFile(file, entries.get(`${s}.webm`));
        const probed = await probe(file);
        t.diagnostic(`${s}.webm: ${probed.format.format_name}, ${probed.duration} s, ${entries.get(`${s}.webm`).length} B`);
        assert.deepEqual(probed.codecs, { video: ['vp8'], audio: ['opus'] });
        assert.ok(probed.duration > 2, `${s}.webm lasts ${probed.duration} s`);
        await assertVideoShows(file);
        await assertAudioBeeps(file, probed.duration);
        await rm(file);
    }
});

step('kill -9 of the recorder: the recording fails (what was written plays), the call goes on', async () => {
    const { id, name } = await startRecording({ name: 'recorder_killed' });
    const pid = await waitFor(() => recorderPid(id), { what: `the recorder process of ${id}` });
    await sleep(4_000);
    process.kill(pid, 'SIGKILL');
    const failed = await waitFor(
        async () => {
            const r = await getRecording(id);
            return r.status === 'failed' ? r : null;
        },
        { timeoutMs: 10_000, what: `${id} to be failed` }
    );
    for (const p of Object.values(rec.p)) await p.waitForEvent({ type: 'recordingStopped', id, reason: 'nodeCrashed' });
    assert.equal((await h.rest.getSession(rec.sessionId)).recording, false);
    // The call did not notice.
    await everyoneDecodes();
    // What the recorder wrote before it died plays.
    const file = onDisk(id, `${name}.mp4`);
    const probed = await probe(file);
    assert.ok(probed.duration > 1, `the killed recorder's file lasts ${probed.duration} s`);
    assert.equal(failed.size, (await readFile(file)).length);
    await assertVideoShows(file, { halves: true, minFrames: 3 });
});

step('kill -9 of the server during a COMPOSED recording: the MP4 plays; the restarted server reports it failed', async (t) => {
    const { id, name } = await startRecording({ name: 'server_killed' });
    const recorder = await waitFor(() => recorderPid(id), { what: `the recorder process of ${id}` });
    await sleep(4_000);
    const killed = h.server;
    process.kill(killed.pid, 'SIGKILL');
    await waitFor(() => !killed.alive(), { what: 'the server to be gone' });
    // Its recorder sees the end of its input and finishes the file.
    await waitFor(() => processGone(recorder), { timeoutMs: 10_000, what: `the recorder ${recorder} to exit after the server` });
    const metadata = JSON.parse(await readFile(onDisk(id, `.recording.${id}`), 'utf8'));
    assert.equal(metadata.status, 'started', 'the killed server could not seal it');

    const file = onDisk(id, `${name}.mp4`);
    const probed = await probe(file);
    t.diagnostic(`the MP4 of the killed server lasts ${probed.duration} s`);
    assert.deepEqual(probed.codecs, { video: ['h264'], audio: ['aac'] });
    assert.ok(probed.duration > 1, `the file lasts ${probed.duration} s`);
    await assertVideoShows(file, { halves: true });

    h.server = await startServer(recordingServerOptions());
    h.rest = new Rest(h.server);
    const r = await getRecording(id);
    assert.equal(r.status, 'failed');
    assert.equal(r.size, (await readFile(file)).length);
    assert.equal(r.url, `${h.server.url}/openvidu/recordings/${id}/${name}.mp4`, 'the playable file is served');
    // The recordings finished before the crash are as they were.
    assert.equal((await getRecording(rec.sessionId)).status, 'ready');
});
