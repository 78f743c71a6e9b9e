// Signals (spec §3.8, §4.7, §8.3 POST /signal, §12.19): session.signal() to
// everyone (sender included) or to chosen connections, untyped signals, REST
// signals (no `from`), ordering, refusals, and the 64 KiB size limit.
//
// openvidu-browser emits `signal` for every signal and, when the wire type is not
// exactly "signal", also an event named exactly as the wire type ("signal:chat"
// for client signals; REST types are relayed verbatim, so a REST type "chat"
// fires "chat"). SignalEvent.type is always "signal:" + the wire type without its
// "signal:" prefix (so "signal:signal" for an untyped signal, whatever its docs say). Session.signal() rejects with the JSON-RPC
// error object itself ({code, message, ...}).
//
// Three pages that only connect (signals need no media).

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { assertNoEvent } from './lib/media.mjs';
import { waitFor, assertHolds } from './lib/wait.mjs';

const h = useHarness('signals', { setup: async () => (s.sessionId = await h.newSession('signals')) });
const step = makeSteps(h);

const NAMES = ['alice', 'bob', 'carol'];
/** Exact event names the pages listen to besides `signal`. */
const TYPED = ['signal:chat', 'signal:private', 'signal:fromserver', 'chat', 'signal:seq', 'signal:big'];
const KIB64 = 64 * 1024;

const s = { sessionId: null, p: {} };

const all = () => NAMES.map((n) => s.p[n]);

/** Waits until `p` recorded exactly `count` `signal` events with `data`; resolves them. */
async function waitForSignal(p, data, count = 1) {
    return p.waitForEvents({ type: 'signal', data }, count, { timeoutMs: 5_000 });
}

step('three participants connect and listen to signals', async () => {
    for (const name of NAMES) {
        const c = await h.rest.createConnection(s.sessionId, { role: 'PUBLISHER', data: `server-${name}` });
        const p = (s.p[name] = await h.participant(name));
        await p.connect({ token: c.token });
        assert.equal(p.connectionId, c.connectionId);
        await p.call('listenSignals', [TYPED]);
    }
});

step('a typed signal to everyone reaches every page once, the sender included: events "signal" and "signal:chat" with from = sender', async () => {
    const { alice } = s.p;
    const r = await alice.call('signal', [{ data: 'hello all', type: 'chat' }]);
    assert.equal(r.ok, true, `session.signal resolves: ${JSON.stringify(r)}`);
    for (const p of all()) {
        const [e] = await waitForSignal(p, 'hello all');
        assert.equal(e.signalType, 'signal:chat', `[${p.name}] SignalEvent.type`);
        assert.equal(e.from, alice.connectionId, `[${p.name}] SignalEvent.from`);
        const typed = await p.waitForEvent({ type: 'signalEvent', name: 'signal:chat', data: 'hello all' });
        assert.equal(typed.signalType, 'signal:chat');
        assert.equal(typed.from, alice.connectionId);
    }
    // And no second copy arrives.
    await Promise.all(
        all().map((p) =>
            assertHolds(async () => (await p.eventsMatching({ type: 'signal', data: 'hello all' })).length === 1, {
                forMs: 300,
                what: `[${p.name}] "hello all" received exactly once`
            })
        )
    );
});

step('to: [connection] reaches exactly that page; to: [two connections] exactly those two', async () => {
    const { alice, bob, carol } = s.p;
    const r = await alice.call('signal', [{ data: 'psst bob', type: 'private', to: [bob.connectionId] }]);
    assert.equal(r.ok, true, JSON.stringify(r));
    const [e] = await waitForSignal(bob, 'psst bob');
    assert.equal(e.from, alice.connectionId);
    assert.equal(e.signalType, 'signal:private');
    await bob.waitForEvent({ type: 'signalEvent', name: 'signal:private', data: 'psst bob' });
    await assertNoEvent(alice, { type: 'signal', data: 'psst bob' }, { what: 'the sender is not a recipient' });
    await assertNoEvent(carol, { type: 'signal', data: 'psst bob' }, { ms: 0, what: 'carol is not a recipient' });

    const r2 = await carol.call('signal', [{ data: 'to alice and bob', type: 'private', to: [alice.connectionId, bob.connectionId] }]);
    assert.equal(r2.ok, true, JSON.stringify(r2));
    for (const p of [alice, bob]) {
        const [x] = await waitForSignal(p, 'to alice and bob');
        assert.equal(x.from, carol.connectionId);
    }
    await assertNoEvent(carol, { type: 'signal', data: 'to alice and bob' }, { what: 'carol sent it to the two others only' });
});

step('an untyped signal arrives with SignalEvent.type "signal:signal" (wire type "signal", no typed event); a signal without data arrives with data ""', async () => {
    const { bob } = s.p;
    const r = await bob.call('signal', [{ data: 'untyped' }]);
    assert.equal(r.ok, true, JSON.stringify(r));
    for (const p of all()) {
        const [e] = await waitForSignal(p, 'untyped');
        assert.equal(e.signalType, 'signal:signal', `[${p.name}] SignalEvent.type of an untyped signal`);
        assert.equal(e.from, bob.connectionId);
    }
    assert.equal((await s.p.alice.eventsMatching({ type: 'signalEvent', data: 'untyped' })).length, 0, 'no typed event');

    const r2 = await bob.call('signal', [{ type: 'chat' }]);
    assert.equal(r2.ok, true, JSON.stringify(r2));
    for (const p of all()) {
        const e = await p.waitForEvent({ type: 'signalEvent', name: 'signal:chat', data: '' });
        assert.equal(e.from, bob.connectionId);
    }
});

step('REST POST /openvidu/api/signal: delivered to everyone with from undefined; with "to" only to those; type relayed verbatim', async () => {
    const { carol } = s.p;
    const res = await h.rest.raw('POST', '/signal', { session: s.sessionId, type: 'signal:fromserver', data: 'server says hi' });
    assert.equal(res.status, 200, `POST /signal: ${res.status} ${res.text}`);
    assert.equal(res.text, '', 'POST /signal answers an empty body');
    for (const p of all()) {
        const [e] = await waitForSignal(p, 'server says hi');
        assert.equal(e.fromUndefined, true, `[${p.name}] SignalEvent.from is undefined for a REST signal`);
        assert.equal(e.signalType, 'signal:fromserver');
        await p.waitForEvent({ type: 'signalEvent', name: 'signal:fromserver', data: 'server says hi' });
    }

    await h.rest.signal({ session: s.sessionId, to: [carol.connectionId], type: 'signal:fromserver', data: 'only carol' });
    const [e] = await waitForSignal(carol, 'only carol');
    assert.equal(e.fromUndefined, true);
    await assertNoEvent(s.p.alice, { type: 'signal', data: 'only carol' });
    await assertNoEvent(s.p.bob, { type: 'signal', data: 'only carol' }, { ms: 0 });

    // A REST type without the "signal:" prefix is relayed as is: the browser emits an event named "chat".
    await h.rest.signal({ session: s.sessionId, type: 'chat', data: 'verbatim type' });
    for (const p of all()) {
        const typed = await p.waitForEvent({ type: 'signalEvent', name: 'chat', data: 'verbatim type' });
        assert.equal(typed.signalType, 'signal:chat');
        assert.equal(typed.fromUndefined, true);
    }
});

step('refused signals: unknown "to" → session.signal rejects with JSON-RPC error 601, REST 406; REST unknown session → 404', async () => {
    const { alice, bob } = s.p;
    const r = await alice.call('signal', [{ data: 'nobody', type: 'chat', to: ['con_NOBODY00'] }]);
    assert.equal(r.ok, false, `signal to an unknown connection must be refused: ${JSON.stringify(r)}`);
    assert.equal(r.error.code, 601, `JSON-RPC error code: ${JSON.stringify(r)}`);
    const rest = await h.rest.raw('POST', '/signal', { session: s.sessionId, to: ['con_NOBODY00'], data: 'nobody' });
    assert.equal(rest.status, 406, `REST to an unknown connection: ${rest.status} ${rest.text}`);
    const unknown = await h.rest.raw('POST', '/signal', { session: 'no-such-session', data: 'x' });
    assert.equal(unknown.status, 404, `REST unknown session: ${unknown.status} ${unknown.text}`);
    await assertNoEvent(bob, { type: 'signal', data: 'nobody' }, { what: 'a refused signal reaches nobody' });
});

step('ordering: 20 signals sent in a row arrive in order on every page', async () => {
    const { alice } = s.p;
    const results = await alice.evaluate(
        (n) => Promise.all(Array.from({ length: n }, (_, i) => window.ovtest.signal({ data: `seq-${i}`, type: 'seq' }))),
        20,
        { what: '20 signals' }
    );
    assert.ok(results.every((r) => r.ok), `every signal resolves: ${JSON.stringify(results.filter((r) => !r.ok))}`);
    const expected = Array.from({ length: 20 }, (_, i) => `seq-${i}`);
    for (const p of all()) {
        const got = await waitFor(
            async () => {
                const seq = (await p.eventsMatching({ type: 'signalEvent', name: 'signal:seq' })).map((e) => e.data);
                return seq.length >= 20 ? seq : null;
            },
            { timeoutMs: 5_000, what: `[${p.name}] the 20 signals` }
        );
        assert.deepEqual(got, expected, `[${p.name}] arrival order`);
    }
});

step('size limit: data of exactly 64 KiB is delivered; 64 KiB + 1 is refused (session.signal: JSON-RPC 600, REST: 400) and reaches nobody', async () => {
    const { alice, bob } = s.p;
    const ok = await alice.call('signal', [{ data: 'a'.repeat(KIB64), type: 'big' }]);
    assert.equal(ok.ok, true, `64 KiB of data is accepted: ${JSON.stringify(ok).slice(0, 500)}`);
    const got = await bob.waitForEvent({ type: 'signalEvent', name: 'signal:big' });
    assert.equal(got.data.length, KIB64, 'delivered whole');

    const tooBig = 'b'.repeat(KIB64 + 1);
    const r = await alice.call('signal', [{ data: tooBig, type: 'big' }]);
    assert.equal(r.ok, false, `64 KiB + 1 of data must be refused; session.signal resolved: ${JSON.stringify(r).slice(0, 300)}`);
    assert.equal(r.error.code, 600, `JSON-RPC error code: ${JSON.stringify(r).slice(0, 500)}`);
    const rest = await h.rest.raw('POST', '/signal', { session: s.sessionId, type: 'signal:big', data: tooBig });
    assert.equal(rest.status, 400, `REST POST /signal with 64 KiB + 1 of data: ${rest.status} ${rest.text.slice(0, 300)}`);
    const oversized = (e) => e.type === 'signalEvent' && e.name === 'signal:big' && e.data.length > KIB64;
    await Promise.all(all().map((p) => assertNoEvent(p, oversized, { ms: 500, what: 'an oversized signal was delivered' })));
}, { independent: true });
