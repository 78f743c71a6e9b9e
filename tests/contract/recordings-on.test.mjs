// Recording calls of openvidu-node-client 2.32.2 against a server with the recording
// module on (OPENVIDU_RECORDING=true, the openvidu-recorder beside the server binary):
// starts, stops, gets, lists and deletes, their errors with OpenVidu 2.32's codes and
// check order (/work/shared/spec/openvidu-2-recording.md §1), `Session.recording`, the
// ALWAYS mode and the autostop. Participants join over the WebSocket JSON-RPC without
// media (lib/rpc.mjs); the files' media is the e2e suite's business (tests/e2e), here
// they are only probed for what the properties asked (container, codecs, resolution).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { api, newClient, OPENVIDU_DEFAULT_RECORDING_PROPERTIES, ovClient, plain, rejectsWithStatus, serverSession } from './lib/helpers.mjs';
import { RpcParticipant } from './lib/rpc.mjs';
import { startServer, waitFor } from './lib/server.mjs';
import { sleep } from '../shared/wait.mjs';

const { Recording } = ovClient;

/** A server with recording on in a fresh folder (removed afterwards); `env` adds settings. */
function useRecordingServer(env = {}) {
    const ctx = { server: undefined, ov: undefined, dir: undefined, participants: [] };
    before(async () => {
        ctx.dir = await mkdtemp(path.join(os.tmpdir(), 'ov-contract-recordings-'));
        ctx.server = await startServer({ env: { OPENVIDU_RECORDING: 'true', OPENVIDU_RECORDING_PATH: ctx.dir, ...env } });
        ctx.ov = newClient(ctx.server);
    });
    after(async () => {
        for (const p of ctx.participants) p.close();
        await ctx.server?.stop();
        if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
    });
    /** A session (node-client createSession) and a participant joined with a `role` token. */
    ctx.sessionWith = async (properties, { role = 'PUBLISHER', publish = false } = {}) => {
        const session = await ctx.ov.createSession(properties);
        const p = await ctx.join(session, role);
        if (publish) await p.publish();
        return { session, p };
    };
    ctx.join = async (session, role = 'PUBLISHER') => {
        const connection = await session.createConnection({ role });
        const p = await RpcParticipant.join(connection.token, role.toLowerCase());
        ctx.participants.push(p);
        return p;
    };
    return ctx;
}

/** ffprobe's streams and format of a file. */
async function probe(file) {
    const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]);
    return JSON.parse(stdout);
}

/** The codec names of a probed file, by kind: {video: [...], audio: [...]}. */
function codecs(probed) {
    const of = (kind) => probed.streams.filter((s) => s.codec_type === kind).map((s) => s.codec_name);
    return { video: of('video'), audio: of('audio') };
}

const fileUrl = (server, id, file) => `${server.url}/openvidu/recordings/${id}/${file}`;

describe('recording on: the calls of openvidu-node-client', () => {
    const ctx = useRecordingServer();

    test('startRecording (COMPOSED by default) → started; get, list, Session.recording; stopRecording → ready with its file', async () => {
        const { session, p: alice } = await ctx.sessionWith();
        const subscriber = await ctx.join(session, 'SUBSCRIBER');
        const sid = session.sessionId;

        const t0 = Date.now();
        const r = await ctx.ov.startRecording(sid);
        assert.ok(r instanceof Recording);
        assert.equal(r.id, sid, 'the first recording of a session has its id');
        assert.equal(r.sessionId, sid);
        assert.equal(r.status, 'started');
        assert.equal(r.url, null);
        assert.equal(r.size, 0);
        assert.equal(r.duration, 0);
        assert.ok(r.createdAt >= t0 - 1000 && r.createdAt <= Date.now(), `createdAt ${r.createdAt}`);
        assert.deepEqual(plain(r.properties), { ...OPENVIDU_DEFAULT_RECORDING_PROPERTIES, name: sid });
        // What node-client does not show: the JSON itself (spec §1.7).
        const raw = (await api(ctx.server, 'GET', `/recordings/${sid}`)).json;
        assert.equal(raw.object, 'recording');
        assert.equal(raw.outputMode, 'COMPOSED');
        assert.equal(raw.recordingLayout, 'BEST_FIT');
        assert.equal('uniqueSessionId' in raw, false);
        assert.equal(raw.url, null);

        // Session.recording: set by startRecording, and what the server says on fetch().
        assert.equal(session.recording, true);
        await session.fetch();
        assert.equal(session.recording, true);
        assert.equal((await serverSession(ctx.server, sid)).recording, true);

        // recordingStarted reaches the PUBLISHER, not the SUBSCRIBER (publisher_moderator);
        // a MODERATOR joining now learns of the recording in joinRoom.
        assert.deepEqual(await alice.waitForNotification('recordingStarted'), { id: sid, name: sid });
        const late = await ctx.join(session, 'MODERATOR');
        assert.equal(late.joined.recordingId, sid);
        assert.equal(late.joined.recordingName, sid);
        assert.equal(subscriber.notifications.some((n) => n.method === 'recordingStarted'), false);

        assert.equal((await ctx.ov.getRecording(sid)).status, 'started');
        const listed = (await ctx.ov.listRecordings()).find((x) => x.id === sid);
        assert.equal(listed?.status, 'started');
        await rejectsWithStatus(ctx.ov.startRecording(sid), 409);
        await rejectsWithStatus(ctx.ov.deleteRecording(sid), 409);

        await sleep(1500);
        const stopped = await ctx.ov.stopRecording(sid);
        assert.equal(stopped.status, 'ready', 'CE answers the stop with the final recording');
        assert.ok(stopped.size > 0, `size ${stopped.size}`);
        assert.ok(stopped.duration >= 1 && stopped.duration < 10, `duration ${stopped.duration}`);
        assert.equal(stopped.url, fileUrl(ctx.server, sid, `${sid}.mp4`));
        assert.equal(session.recording, false);
        await session.fetch();
        assert.equal(session.recording, false);
        assert.equal((await serverSession(ctx.server, sid)).recording, false);
        assert.deepEqual(await alice.waitForNotification('recordingStopped'), { id: sid, name: sid, reason: 'recordingStoppedByServer' });

        const got = await ctx.ov.getRecording(sid);
        assert.deepEqual(plain(got), plain(stopped));
        assert.equal((await ctx.ov.listRecordings()).find((x) => x.id === sid)?.status, 'ready');

        // The file, with the secret only; what is served is what is on disk.
        const file = await fetch(stopped.url, { headers: { Authorization: ctx.server.authHeader } });
        assert.equal(file.status, 200);
        const body = Buffer.from(await file.arrayBuffer());
        assert.equal(body.length, stopped.size);
        assert.equal(body.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4 file');
        assert.ok(body.equals(await readFile(path.join(ctx.dir, sid, `${sid}.mp4`))));
        assert.equal((await fetch(stopped.url)).status, 401);
        const probed = await probe(path.join(ctx.dir, sid, `${sid}.mp4`));
        assert.deepEqual(codecs(probed), { video: ['h264'], audio: ['aac'] });

        // Stopping it again: it is no longer running (404, spec §1.3).
        await rejectsWithStatus(ctx.ov.stopRecording(sid), 404);
    });

    test('ids and names: the name given, <sid>~1 for the next one, the first free id again after deleteRecording', async () => {
        const { session } = await ctx.sessionWith();
        const sid = session.sessionId;

        const first = await ctx.ov.startRecording(sid, 'first_name');
        assert.equal(first.id, sid);
        assert.equal(first.properties.name, 'first_name');
        const firstDone = await ctx.ov.stopRecording(sid);
        assert.equal(firstDone.url, fileUrl(ctx.server, sid, 'first_name.mp4'));

        const second = await ctx.ov.startRecording(sid);
        assert.equal(second.id, `${sid}~1`);
        assert.equal(second.properties.name, `${sid}~1`, 'no name: the id');
        const secondDone = await ctx.ov.stopRecording(second.id);
        assert.equal(secondDone.url, fileUrl(ctx.server, second.id, `${sid}~1.mp4`));

        await ctx.ov.deleteRecording(sid);
        await rejectsWithStatus(ctx.ov.getRecording(sid), 404);
        await rejectsWithStatus(ctx.ov.deleteRecording(sid), 404);
        const ids = (await ctx.ov.listRecordings()).map((x) => x.id);
        assert.ok(ids.includes(second.id) && !ids.includes(sid), `listed: ${ids}`);
        const gone = await fetch(firstDone.url, { headers: { Authorization: ctx.server.authHeader } });
        assert.equal(gone.status, 404, 'its file went with it');

        const third = await ctx.ov.startRecording(sid);
        assert.equal(third.id, sid, 'the deleted id is free again');
        assert.equal((await ctx.ov.stopRecording(sid)).status, 'ready');
    });

    test('properties: INDIVIDUAL, audio only, video only at a resolution and frame rate, the session defaults', async () => {
        const { session } = await ctx.sessionWith(undefined, { publish: true });
        const sid = session.sessionId;

        const individual = await ctx.ov.startRecording(sid, { name: 'each', outputMode: 'INDIVIDUAL' });
        assert.deepEqual(plain(individual.properties), {
            name: 'each',
            hasAudio: true,
            hasVideo: true,
            outputMode: 'INDIVIDUAL',
            ignoreFailedStreams: false
        });
        const rawIndividual = (await api(ctx.server, 'GET', `/recordings/${individual.id}`)).json;
        for (const key of ['resolution', 'frameRate', 'recordingLayout']) {
            assert.equal(key in rawIndividual, false, `INDIVIDUAL has no ${key}`);
        }
        const individualDone = await ctx.ov.stopRecording(individual.id);
        assert.equal(individualDone.status, 'ready');
        assert.equal(individualDone.url, fileUrl(ctx.server, individual.id, 'each.zip'));
        const zip = await readFile(path.join(ctx.dir, individual.id, 'each.zip'));
        assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a ZIP file');

        const audioOnly = await ctx.ov.startRecording(sid, { name: 'audio_only', hasVideo: false });
        assert.deepEqual(plain(audioOnly.properties), { name: 'audio_only', hasAudio: true, hasVideo: false, outputMode: 'COMPOSED' });
        const audioDone = await ctx.ov.stopRecording(audioOnly.id);
        assert.equal(audioDone.url, fileUrl(ctx.server, audioOnly.id, 'audio_only.webm'));
        assert.deepEqual(codecs(await probe(path.join(ctx.dir, audioOnly.id, 'audio_only.webm'))), { video: [], audio: ['opus'] });

        const videoOnly = await ctx.ov.startRecording(sid, { name: 'video_only', hasAudio: false, resolution: '640x480', frameRate: 15 });
        assert.equal(videoOnly.properties.resolution, '640x480');
        assert.equal(videoOnly.properties.frameRate, 15);
        await sleep(1000);
        const videoDone = await ctx.ov.stopRecording(videoOnly.id);
        assert.equal(videoDone.status, 'ready');
        assert.equal(videoDone.properties.resolution, '640x480');
        assert.equal(videoDone.properties.frameRate, 15);
        assert.equal(videoDone.properties.hasAudio, false);
        const probed = await probe(path.join(ctx.dir, videoOnly.id, 'video_only.mp4'));
        assert.deepEqual(codecs(probed), { video: ['h264'], audio: [] });
        const [video] = probed.streams;
        assert.equal(`${video.width}x${video.height}`, '640x480');
        assert.equal(video.r_frame_rate, '15/1');

        // What a request leaves out comes from the session's defaultRecordingProperties.
        const withDefaults = await ctx.ov.createSession({
            defaultRecordingProperties: { resolution: '320x240', frameRate: 10, hasAudio: false }
        });
        await ctx.join(withDefaults);
        const inherited = await ctx.ov.startRecording(withDefaults.sessionId, { name: 'inherited' });
        assert.equal(inherited.properties.resolution, '320x240');
        assert.equal(inherited.properties.frameRate, 10);
        assert.equal(inherited.properties.hasAudio, false);
        const overridden = await ctx.ov.stopRecording(inherited.id);
        assert.equal(overridden.properties.resolution, '320x240');
        const small = (await probe(path.join(ctx.dir, inherited.id, 'inherited.mp4'))).streams[0];
        assert.equal(`${small.width}x${small.height}`, '320x240');
    });

    test("errors with OpenVidu's codes, in OpenVidu's order", async () => {
        // 404: no such session, checked before the properties.
        await rejectsWithStatus(ctx.ov.startRecording('ses_NoSuchSession'), 404);
        await rejectsWithStatus(ctx.ov.startRecording('ses_NoSuchSession', { resolution: '1x1' }), 404);
        // 406: nobody connected (a connection that never joined does not count), before the properties.
        const empty = await ctx.ov.createSession();
        await empty.createConnection();
        await rejectsWithStatus(ctx.ov.startRecording(empty.sessionId), 406);
        await rejectsWithStatus(ctx.ov.startRecording(empty.sessionId, { resolution: '1x1' }), 406);
        // 409: a RELAYED session cannot be recorded, checked before the participants.
        const relayed = await ctx.ov.createSession({ mediaMode: 'RELAYED' });
        await rejectsWithStatus(ctx.ov.startRecording(relayed.sessionId), 409);

        const { session } = await ctx.sessionWith();
        const sid = session.sessionId;
        for (const [properties, status] of [
            [{ resolution: '99x100' }, 422],
            [{ resolution: '1280x0720' }, 422],
            [{ resolution: '2000x1000' }, 422],
            [{ resolution: 'big' }, 422],
            [{ frameRate: 121 }, 422],
            [{ frameRate: -1 }, 422],
            [{ shmSize: 1000 }, 422],
            [{ hasAudio: false, hasVideo: false }, 422],
            [{ name: 'a/b' }, 400],
            [{ name: 'with space' }, 400],
            [{ outputMode: 'SIDEWAYS' }, 400],
            [{ recordingLayout: 'CIRCLE' }, 400],
            // name (400) is checked before audio/video (422), outputMode (400) before resolution (422)
            [{ name: 'a/b', hasAudio: false, hasVideo: false }, 400],
            [{ outputMode: 'SIDEWAYS', resolution: '1x1' }, 400],
            // INDIVIDUAL has no resolution to check
            [{ outputMode: 'INDIVIDUAL', hasAudio: false, hasVideo: false }, 422]
        ]) {
            await rejectsWithStatus(ctx.ov.startRecording(sid, properties), status).catch((err) => {
                throw new Error(`${JSON.stringify(properties)}: ${err.message}`);
            });
        }
        assert.equal((await ctx.ov.listRecordings()).filter((r) => r.sessionId === sid).length, 0, 'nothing started');
        assert.equal((await serverSession(ctx.server, sid)).recording, false);

        // The JSON error body of a property error (spec §1.1: the path is /sessions, a quirk).
        const bad = await api(ctx.server, 'POST', '/recordings/start', { body: { session: sid, resolution: '99x100' } });
        assert.equal(bad.status, 422);
        assert.equal(bad.json.status, 422);
        assert.equal(bad.json.path, '/openvidu/api/sessions');
        assert.ok(bad.json.message.length > 0);
        // The body itself: null, without "session", "session" not a string → 400.
        for (const body of [null, {}, { session: 7 }]) {
            const r = await api(ctx.server, 'POST', '/recordings/start', { body });
            assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        }

        await rejectsWithStatus(ctx.ov.stopRecording('ses_NoSuchRecording'), 404);
        await rejectsWithStatus(ctx.ov.getRecording('ses_NoSuchRecording'), 404);
        await rejectsWithStatus(ctx.ov.deleteRecording('ses_NoSuchRecording'), 404);
    });

    test("recordingMode ALWAYS: the first publisher starts a recording with the session's defaultRecordingProperties; after a REST stop no other starts", async () => {
        const { session, p: alice } = await ctx.sessionWith({
            recordingMode: 'ALWAYS',
            defaultRecordingProperties: { name: 'always', hasAudio: false, resolution: '640x480', frameRate: 15 }
        });
        const sid = session.sessionId;
        await sleep(300);
        await rejectsWithStatus(ctx.ov.getRecording(sid), 404);
        await session.fetch();
        assert.equal(session.recording, false, 'joining does not start it, publishing does');

        await alice.publish();
        const r = await waitFor(
            async () => {
                const x = await ctx.ov.getRecording(sid).catch(() => null);
                return x?.status === 'started' ? x : null;
            },
            { timeoutMs: 10_000, what: 'the ALWAYS recording to start' }
        );
        assert.equal(r.id, sid);
        assert.deepEqual(plain(r.properties), {
            ...OPENVIDU_DEFAULT_RECORDING_PROPERTIES,
            name: 'always',
            hasAudio: false,
            resolution: '640x480',
            frameRate: 15
        });
        assert.deepEqual(await alice.waitForNotification('recordingStarted'), { id: sid, name: 'always' });
        await session.fetch();
        assert.equal(session.recording, true);

        const done = await ctx.ov.stopRecording(sid);
        assert.equal(done.status, 'ready');
        assert.equal(done.url, fileUrl(ctx.server, sid, 'always.mp4'));

        // A new first publisher after the REST stop: no new recording in this session.
        await alice.request('unpublishVideo', {});
        await alice.publish();
        await sleep(1000);
        await rejectsWithStatus(ctx.ov.getRecording(`${sid}~1`), 404);
        await session.fetch();
        assert.equal(session.recording, false);
    });
});

describe('recording on: the autostop (OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT=1)', () => {
    const ctx = useRecordingServer({ OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT: '1' });

    test('the last participant leaves: the session stays, recorded, for the timeout; then the recording is ready and the session closed', async () => {
        const { session, p: alice } = await ctx.sessionWith(undefined, { publish: true });
        const sid = session.sessionId;
        const r = await ctx.ov.startRecording(sid);
        await sleep(1500);
        assert.equal((await ctx.ov.getRecording(r.id)).status, 'started', 'a publisher is there: no countdown');

        await alice.leave();
        const left = Date.now();
        const during = await serverSession(ctx.server, sid);
        assert.equal(during?.recording, true, 'during the countdown the session is open and recorded');
        assert.equal(during.connections.numberOfElements, 0);
        await waitFor(async () => (await ctx.ov.getRecording(r.id)).status === 'ready' && (await serverSession(ctx.server, sid)) === null, {
            timeoutMs: 10_000,
            what: 'the recording to be ready and the session closed'
        });
        assert.ok(Date.now() - left >= 900, `stopped ${Date.now() - left} ms after the last participant left`);
        const ready = await ctx.ov.getRecording(r.id);
        assert.ok(ready.size > 0 && ready.duration >= 2, `size ${ready.size}, duration ${ready.duration}`);
    });

    test('a recording started without publishers stops after the timeout with reason automaticStop; the participant stays', async () => {
        const { session, p: alice } = await ctx.sessionWith();
        const sid = session.sessionId;
        const started = Date.now();
        await ctx.ov.startRecording(sid);
        const stopped = await alice.waitForNotification('recordingStopped', {}, { timeoutMs: 10_000 });
        assert.deepEqual(stopped, { id: sid, name: sid, reason: 'automaticStop' });
        assert.ok(Date.now() - started >= 900, `stopped after ${Date.now() - started} ms`);
        await waitFor(async () => (await ctx.ov.getRecording(sid)).status === 'ready', { what: 'the recording to be ready' });
        const after = await serverSession(ctx.server, sid);
        assert.equal(after?.recording, false);
        assert.equal(after.connections.numberOfElements, 1, 'the participant is still there');
    });

    test('a publish during the countdown cancels it', async () => {
        const { session, p: alice } = await ctx.sessionWith();
        const sid = session.sessionId;
        await ctx.ov.startRecording(sid);
        await alice.publish();
        await sleep(2500);
        assert.equal((await ctx.ov.getRecording(sid)).status, 'started', 'still recording after the timeout');
        assert.equal(alice.notifications.some((n) => n.method === 'recordingStopped'), false);
        assert.equal((await ctx.ov.stopRecording(sid)).status, 'ready');
    });
});
