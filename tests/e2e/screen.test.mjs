// Screen sharing. OpenVidu 2 allows one published stream per connection, so a
// page shares its screen through a second OpenVidu + Session (a second
// connection and token), as OpenVidu's screen-sharing tutorial does. Chromium's
// getDisplayMedia picks the whole (headless, 720x540) screen without a prompt.
//
// Also: a second session.publish() on a connection that already publishes is
// refused by the server with JSON-RPC error 106 (USER_ALREADY_STREAMING); for
// errors other than 401 openvidu-browser rejects with the string
// 'Error on publishVideo: ' + JSON.stringify(error) (Stream.initWebRtcPeerSend).
//
// Two pages: alice (camera + screen), bob (camera).

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertNoEvent, roundRates } from './lib/media.mjs';

const h = useHarness('screen', {
    setup: async () => (s.sessionId = await h.newSession('screen')),
    browserArgs: ['--auto-select-desktop-capture-source=Entire screen']
});
const step = makeSteps(h);

const s = { sessionId: null, p: {}, screen: null };

step('alice and bob join with cameras', async () => {
    for (const name of ['alice', 'bob']) {
        const p = (s.p[name] = await h.participant(name));
        await h.joinSession(p, s.sessionId);
    }
    await waitForDecoding(s.p.bob, [s.p.alice.streamId], { exact: true });
    await waitForDecoding(s.p.alice, [s.p.bob.streamId], { exact: true });
});

step('alice publishes her screen through a second connection: bob gets a SCREEN stream (str_SCR_…) and decodes it', async (t) => {
    const { alice, bob } = s.p;
    const c = await h.rest.createConnection(s.sessionId, { role: 'PUBLISHER', data: 'alice-screen' });
    const r = await alice.call('shareScreen', [{ token: c.token, name: 'alice-screen' }], { timeoutMs: 40_000 });
    assert.equal(r.ok, true, `screen publishing: ${JSON.stringify(r)}`);
    assert.equal(r.connectionId, c.connectionId);
    assert.equal(r.typeOfVideo, 'SCREEN', 'local Stream.typeOfVideo');
    assert.match(r.streamId, /^str_SCR_[A-Za-z0-9]{4}_con_/, `screen stream id shape (spec §1.1): ${r.streamId}`);
    assert.match(r.trackLabel, /^screen:/, `the track comes from getDisplayMedia: ${r.trackLabel}`);
    s.screen = r;

    const created = await bob.waitForEvent({ type: 'streamCreated', streamId: r.streamId });
    assert.equal(created.connectionId, c.connectionId);
    const remote = await bob.call('remoteStream', [r.streamId]);
    assert.equal(remote.typeOfVideo, 'SCREEN', `[bob] Stream.typeOfVideo: ${JSON.stringify(remote)}`);
    assert.equal(remote.hasAudio, false, '[bob] the screen stream has no audio');
    assert.equal(remote.hasVideo, true);
    // bob receives the camera and the screen; both keep flowing.
    const stats = await waitForDecoding(bob, [alice.streamId, r.streamId], { exact: true });
    t.diagnostic(`[bob] per second: ${JSON.stringify(roundRates(stats.rates))}`);
    const scr = stats.find((x) => x.streamId === r.streamId);
    assert.equal(scr.video.frameWidth, r.trackSettings.width, `[bob] decodes the screen at its captured width: ${JSON.stringify(scr)}`);

    const rest = await h.rest.getConnection(s.sessionId, c.connectionId);
    assert.equal(rest.publishers.length, 1);
    assert.equal(rest.publishers[0].streamId, r.streamId);
    assert.equal(rest.publishers[0].mediaOptions.typeOfVideo, 'SCREEN', 'REST mediaOptions.typeOfVideo');
    assert.equal(rest.publishers[0].mediaOptions.hasAudio, false, 'REST mediaOptions.hasAudio');
    // alice's camera session sees her own screen connection as a remote one.
    await alice.waitForEvent({ type: 'streamCreated', streamId: r.streamId });
});

step('a second session.publish() on alice\'s camera connection is refused with error 106 and changes nothing', async () => {
    const { alice, bob } = s.p;
    const r = await alice.call('publishSecond', [], { timeoutMs: 40_000 });
    assert.equal(r.ok, false, `a second publish on the same connection must be refused: ${JSON.stringify(r)}`);
    assert.ok(!r.timedOut, `refused, not left unanswered: ${JSON.stringify(r)}`);
    assert.equal(r.stage, 'publish');
    const text = r.error.value ?? '';
    assert.match(text, /^Error on publishVideo: /, `the SDK's rejection for a non-401 error: ${JSON.stringify(r)}`);
    const rpcError = JSON.parse(text.slice('Error on publishVideo: '.length));
    assert.equal(rpcError.code, 106, `JSON-RPC error code (USER_ALREADY_STREAMING): ${text}`);
    const rest = await h.rest.getConnection(s.sessionId, alice.connectionId);
    assert.deepEqual(rest.publishers.map((x) => x.streamId), [alice.streamId], 'REST: still the one camera stream');
    await assertNoEvent(bob, { type: 'subscribeError' }, { ms: 500 });
    const created = (await bob.eventsMatching({ type: 'streamCreated', connectionId: alice.connectionId })).map((e) => e.streamId);
    assert.deepEqual(created, [alice.streamId], '[bob] was told of no other stream of alice\'s camera connection');
    await waitForDecoding(bob, [alice.streamId, s.screen.streamId], { exact: true });
});

step('alice stops sharing (disconnects the screen session): bob gets streamDestroyed + connectionDestroyed "disconnect"; the camera keeps flowing', async () => {
    const { alice, bob } = s.p;
    assert.equal(await alice.call('leaveScreen'), true);
    const sd = await bob.waitForEvent({ type: 'streamDestroyed', streamId: s.screen.streamId });
    assert.equal(sd.reason, 'disconnect');
    const cd = await bob.waitForEvent({ type: 'connectionDestroyed', connectionId: s.screen.connectionId });
    assert.equal(cd.reason, 'disconnect');
    await waitForDecoding(bob, [alice.streamId], { exact: true });
    await h.rest.waitForConnectionIds(s.sessionId, [alice.connectionId, bob.connectionId], { what: 'the two cameras' });
});
