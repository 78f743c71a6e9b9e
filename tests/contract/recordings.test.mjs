// Recording calls of openvidu-node-client 2.32.2 against a server whose
// recording module is disabled (OpenVidu with OPENVIDU_RECORDING=false
// answers 501 Not Implemented on every recording endpoint).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { rejectsWithStatus, useServer } from './lib/helpers.mjs';

const ctx = useServer();

describe("recording module disabled: every recording call rejects with Error('501')", () => {
    test('startRecording (no name / name / properties), existing or unknown session', async () => {
        const session = await ctx.ov.createSession();
        await session.createConnection();
        await rejectsWithStatus(ctx.ov.startRecording(session.sessionId), 501);
        await rejectsWithStatus(ctx.ov.startRecording(session.sessionId, 'my_recording'), 501);
        await rejectsWithStatus(
            ctx.ov.startRecording(session.sessionId, {
                name: 'props',
                outputMode: 'COMPOSED',
                recordingLayout: 'BEST_FIT',
                resolution: '640x480',
                frameRate: 30,
                hasAudio: true,
                hasVideo: true
            }),
            501
        );
        await rejectsWithStatus(ctx.ov.startRecording('ses_Unknown1234'), 501);
        // the local Session object was not marked as recording
        await session.fetch();
        assert.equal(session.recording, false);
    });

    test('stopRecording', async () => {
        await rejectsWithStatus(ctx.ov.stopRecording('ses_Unknown1234'), 501);
    });

    test('getRecording', async () => {
        await rejectsWithStatus(ctx.ov.getRecording('ses_Unknown1234'), 501);
    });

    test('listRecordings', async () => {
        await rejectsWithStatus(ctx.ov.listRecordings(), 501);
    });

    test('deleteRecording', async () => {
        await rejectsWithStatus(ctx.ov.deleteRecording('ses_Unknown1234'), 501);
    });
});
