// A real call: three participants (pages of one Chromium) publish camera +
// microphone in one session and receive each other through the SFU; a late
// joiner must decode the existing publishers quickly (keyframe requests); a
// participant that leaves is announced to the others with reason `disconnect`.
//
// The steps share one session and run in order; a step whose predecessor
// failed fails at once with a message saying so.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, roundRates } from './lib/media.mjs';
import { waitFor } from './lib/wait.mjs';

const h = useHarness('call', { setup: createSessionAndTokens });
const step = makeSteps(h);

/** Most a late joiner may wait, after its `streamCreated`, for the first decoded frame. */
const LATE_JOINER_FIRST_FRAME_MS = 2_000;
const MEDIA_TIMEOUT_MS = 20_000;

const NAMES = ['alice', 'bob', 'carol'];
const LATE = 'dave';

const call = {
    sessionId: null,
    /** name → Connection JSON from REST (token, connectionId) */
    connections: {},
    /** name → Participant */
    p: {}
};

/** Expected `Connection.data` seen by others: clientData and serverData joined by %/% (spec §3.2). */
function expectedData(name) {
    return `${JSON.stringify({ clientData: name })}%/%server-${name}`;
}

/**
 * Waits until `p` decodes video and receives audio, at a sustained rate, from exactly the
 * streams of `fromNames` (lib/media.mjs).
 */
async function waitForRemoteMedia(p, fromNames) {
    const streams = fromNames.map((n) => call.p[n].streamId);
    const stats = await waitForDecoding(p, streams, { audio: true, exact: true, timeoutMs: MEDIA_TIMEOUT_MS });
    assert.deepEqual(
        stats.map((s) => s.connectionId).sort(),
        fromNames.map((n) => call.connections[n].connectionId).sort(),
        `[${p.name}] the streams come from the connections of ${fromNames.join(', ')}`
    );
    return stats;
}

async function createSessionAndTokens() {
    call.sessionId = await h.newSession('call');
    for (const name of [...NAMES, LATE]) {
        call.connections[name] = await h.rest.createConnection(call.sessionId, {
            role: 'PUBLISHER',
            data: `server-${name}`
        });
    }
}

step('three participants join one session with PUBLISHER tokens and publish camera + microphone', async () => {
    for (const name of NAMES) {
        const p = (call.p[name] = await h.participant(name));
        const r = await p.join({ token: call.connections[name].token, publish: true, audio: true, video: true });
        assert.equal(r.connectionId, call.connections[name].connectionId, `[${name}] local connection id = the token's connection`);
        assert.equal(r.role, 'PUBLISHER');
        assert.match(r.streamId, /^str_CAM_[A-Za-z0-9]{4}_con_/, `[${name}] stream id shape (spec §1.1)`);
        assert.ok(r.streamId.endsWith(r.connectionId), `[${name}] stream id ends with the connection id: ${r.streamId}`);
    }
    await h.rest.waitForConnectionIds(call.sessionId, NAMES.map((n) => call.connections[n].connectionId), { what: 'the three connections' });
});

step('every participant decodes video and receives audio from the two others, at a sustained rate', async (t) => {
    for (const name of NAMES) {
        const others = NAMES.filter((n) => n !== name);
        const { rates } = await waitForRemoteMedia(call.p[name], others);
        t.diagnostic(`[${name}] per second: ${JSON.stringify(roundRates(rates))}`);
        // Remote connections carry the full metadata: clientData%/%serverData.
        const events = await call.p[name].events();
        for (const other of others) {
            const created = events.find(
                (e) => e.type === 'connectionCreated' && e.connectionId === call.connections[other].connectionId
            );
            assert.ok(created, `[${name}] connectionCreated for ${other}`);
            assert.equal(created.data, expectedData(other), `[${name}] Connection.data of ${other}`);
        }
    }
});

step(`a late joiner decodes every existing publisher within ${LATE_JOINER_FIRST_FRAME_MS} ms of its streamCreated`, async (t) => {
    const p = (call.p[LATE] = await h.participant(LATE));
    await p.join({ token: call.connections[LATE].token, publish: true, audio: true, video: true });
    const existing = NAMES.map((n) => call.connections[n].connectionId).sort();
    const stats = await waitFor(
        async () => {
            const s = await p.stats();
            const ids = s.map((x) => x.connectionId).sort();
            return JSON.stringify(ids) === JSON.stringify(existing) && s.every((x) => x.firstFrameAt !== null) ? s : null;
        },
        {
            timeoutMs: MEDIA_TIMEOUT_MS,
            intervalMs: 250,
            what: `[${LATE}] a first decoded frame from ${NAMES.join(', ')}`,
            describe: async () =>
                `[${LATE}] subscribers: ${JSON.stringify(await p.stats())}\n` +
                `publishers: ${JSON.stringify(await Promise.all(NAMES.map((n) => call.p[n].publisherStats())))}`
        }
    );
    const delays = Object.fromEntries(stats.map((s) => [s.streamId, s.firstFrameDelayMs]));
    t.diagnostic(`late joiner first-frame delays (ms): ${JSON.stringify(delays)}`);
    const plis = {};
    for (const n of NAMES) plis[n] = (await call.p[n].publisherStats())?.video?.pliCount;
    t.diagnostic(`keyframe requests (PLI) received so far by each publisher: ${JSON.stringify(plis)}`);
    for (const s of stats) {
        assert.ok(
            s.firstFrameDelayMs <= LATE_JOINER_FIRST_FRAME_MS,
            `[${LATE}] first frame of ${s.streamId} came ${s.firstFrameDelayMs} ms after streamCreated ` +
                `(> ${LATE_JOINER_FIRST_FRAME_MS} ms: the server should request a keyframe from the publisher when a subscriber joins). ` +
                `Publishers: ${JSON.stringify(await Promise.all(NAMES.map((n) => call.p[n].publisherStats())))}`
        );
    }
    // The first frame was no accident: the late joiner keeps decoding them all.
    await waitForRemoteMedia(p, NAMES);
    // And everybody receives the late joiner.
    for (const name of NAMES) {
        await waitForRemoteMedia(call.p[name], [...NAMES.filter((n) => n !== name), LATE]);
    }
});

step('session.disconnect() of one participant: the others get streamDestroyed and connectionDestroyed with reason "disconnect"', async () => {
    const leaver = call.p.bob;
    const leaverConnection = call.connections.bob.connectionId;
    const leaverStream = leaver.streamId;
    assert.ok(leaverStream, 'bob published a stream');
    assert.equal(await leaver.leave(), true);
    const own = await leaver.waitForEvent({ type: 'sessionDisconnected' }, { timeoutMs: 5_000 });
    assert.equal(own.reason, 'disconnect');
    const remaining = ['alice', 'carol', LATE];
    for (const name of remaining) {
        const p = call.p[name];
        const sd = await p.waitForEvent({ type: 'streamDestroyed', streamId: leaverStream }, { timeoutMs: 10_000 });
        assert.equal(sd.reason, 'disconnect', `[${name}] streamDestroyed reason`);
        assert.equal(sd.connectionId, leaverConnection);
        const cd = await p.waitForEvent({ type: 'connectionDestroyed', connectionId: leaverConnection }, { timeoutMs: 10_000 });
        assert.equal(cd.reason, 'disconnect', `[${name}] connectionDestroyed reason`);
        assert.ok(sd.t <= cd.t, `[${name}] streamDestroyed comes before connectionDestroyed`);
    }
    await h.rest.waitForConnectionIds(call.sessionId, remaining.map((n) => call.connections[n].connectionId), {
        what: 'the three remaining connections'
    });
});
