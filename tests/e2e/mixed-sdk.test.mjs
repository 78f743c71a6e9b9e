// A mixed session: pages on the official openvidu-browser 2.32.2 and pages on our SDK
// (sdk/browser) in one session. Each decodes the other's camera and hears its
// microphone (lib/media.mjs rates), signals go both ways (typed, to one connection and
// to everyone), mute states cross over (streamPropertyChanged decoded by either SDK),
// a late joiner on each SDK decodes both, and leaving is seen across.
//
//   alice: official, publishes        bob: ours, publishes
//   carol: official, late, subscribes  dave: ours, late, subscribes

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitForDecoding, assertNoEvent } from './lib/media.mjs';

const h = useHarness('mixed-sdk', { setup: async () => (s.sessionId = await h.newSession('mixed')) });
const step = makeSteps(h);

const SDK = { alice: 'official', bob: 'ours', carol: 'official', dave: 'ours' };
const s = { sessionId: null, p: {} };

/** Opens `name`'s page on its SDK and joins (camera + microphone unless `publish: false`). */
async function join(name, { publish = true } = {}) {
    const p = (s.p[name] = await h.participant(name, { sdk: SDK[name] }));
    await h.joinSession(p, s.sessionId, { publish, audio: true });
    await p.call('listenSignals', [['signal:chat']]);
    return p;
}

step('alice (official) and bob (our SDK) publish; each decodes the other\'s video and receives its audio', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    const version = await bob.evaluate(() => new window.OpenVidu().libraryVersion);
    assert.equal(version, '2.32.2', 'our SDK reports the protocol version it speaks');
    await waitForDecoding(alice, [bob.streamId], { audio: true, exact: true });
    await waitForDecoding(bob, [alice.streamId], { audio: true, exact: true });
    const seen = await bob.call('remoteStream', [alice.streamId]);
    assert.deepEqual([seen.hasAudio, seen.hasVideo, seen.typeOfVideo], [true, true, 'CAMERA'], `[bob] alice's stream: ${JSON.stringify(seen)}`);
});

step('signals both ways: official → ours to one connection, ours → official to one connection, ours to everyone', async () => {
    const { alice, bob } = s.p;
    let r = await alice.call('signal', [{ data: 'from official', type: 'chat', to: [bob.connectionId] }]);
    assert.equal(r.ok, true, JSON.stringify(r));
    const [a] = await bob.waitForEvents({ type: 'signalEvent', name: 'signal:chat', data: 'from official' }, 1);
    assert.deepEqual([a.signalType, a.from], ['signal:chat', alice.connectionId], `[bob] ${JSON.stringify(a)}`);
    r = await bob.call('signal', [{ data: 'from ours', type: 'chat', to: [alice.connectionId] }]);
    assert.equal(r.ok, true, JSON.stringify(r));
    const [b] = await alice.waitForEvents({ type: 'signalEvent', name: 'signal:chat', data: 'from ours' }, 1);
    assert.deepEqual([b.signalType, b.from], ['signal:chat', bob.connectionId], `[alice] ${JSON.stringify(b)}`);
    r = await bob.call('signal', [{ data: 'to all' }]);
    assert.equal(r.ok, true, JSON.stringify(r));
    for (const p of [alice, bob]) {
        const [e] = await p.waitForEvents({ type: 'signal', data: 'to all' }, 1);
        assert.deepEqual([e.signalType, e.from], ['signal:signal', bob.connectionId], `[${p.name}] ${JSON.stringify(e)}`);
    }
    await assertNoEvent(alice, { type: 'signal', data: 'from official' }, { what: 'a signal to bob only does not reach alice' });
});

step('mute states cross over: bob (ours) turns video off, alice (official) mutes audio; each side decodes the other\'s event', async () => {
    const { alice, bob } = s.p;
    await bob.call('publishVideo', [false]);
    const off = await alice.waitForEvent({ type: 'streamPropertyChanged', streamId: bob.streamId, changedProperty: 'videoActive' });
    assert.deepEqual([off.newValue, off.oldValue, off.reason], [false, true, 'publishVideo'], `[alice] ${JSON.stringify(off)}`);
    await alice.call('publishAudio', [false]);
    const muted = await bob.waitForEvent({ type: 'streamPropertyChanged', streamId: alice.streamId, changedProperty: 'audioActive' });
    assert.deepEqual([muted.newValue, muted.oldValue, muted.reason], [false, true, 'publishAudio'], `[bob] ${JSON.stringify(muted)}`);
    assert.equal((await bob.call('remoteStream', [alice.streamId])).audioActive, false, '[bob] Stream.audioActive');
    await bob.call('publishVideo', [true]);
    await alice.call('publishAudio', [true]);
    await waitForDecoding(alice, [bob.streamId], { audio: true, exact: true });
});

step('late joiners, carol (official) and dave (our SDK), subscribe only and decode both publishers', async () => {
    const { alice, bob } = s.p;
    const carol = await join('carol', { publish: false });
    const dave = await join('dave', { publish: false });
    for (const p of [carol, dave]) await waitForDecoding(p, [alice.streamId, bob.streamId], { audio: true, exact: true });
    const fromDave = await dave.call('signal', [{ data: 'dave here', type: 'chat' }]);
    assert.equal(fromDave.ok, true, JSON.stringify(fromDave));
    for (const p of [alice, bob, carol, dave]) await p.waitForEvents({ type: 'signalEvent', name: 'signal:chat', data: 'dave here' }, 1);
});

step('bob (ours) leaves: alice and carol (official) get streamDestroyed and connectionDestroyed "disconnect"; alice keeps flowing to dave', async () => {
    const { alice, bob, carol, dave } = s.p;
    await bob.leave();
    for (const p of [alice, carol, dave]) {
        const sd = await p.waitForEvent({ type: 'streamDestroyed', streamId: bob.streamId });
        assert.equal(sd.reason, 'disconnect', `[${p.name}] ${JSON.stringify(sd)}`);
        const cd = await p.waitForEvent({ type: 'connectionDestroyed', connectionId: bob.connectionId });
        assert.equal(cd.reason, 'disconnect', `[${p.name}] ${JSON.stringify(cd)}`);
    }
    await waitForDecoding(dave, [alice.streamId], { audio: true, exact: true });
    await h.rest.waitForConnectionIds(s.sessionId, [alice, carol, dave].map((p) => p.connectionId), { what: 'bob gone' });
});
