// The framework-free components (sdk/components) in real calls, on the official
// openvidu-browser bundle (room.OpenVidu = window.OpenVidu) until our SDK is merged:
// a keyboard-only join through <ov-prejoin>, the grid showing each other's decoded,
// non-black video, mute seen by the remote (streamPropertyChanged and the tile's
// audio-muted), chat both ways, leave; two <ov-room>s on one page (one with a token, one
// with session + app-server); theming with --ov-* custom properties and ::part() reaching
// inside the shadow roots, and the language bundles.
//
// The modules are served unbundled from sdk/components/src by lib/components-pages.mjs,
// which also plays the tutorials' application server.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { buildBundle } from './lib/bundle.mjs';
import { startComponentsServer } from './lib/components-pages.mjs';
import { waitFor } from './lib/wait.mjs';
import { droppableSockets, waitForPlayingTile, assertTileInScreenshot, deepActive, tabTo, waitInPage } from './lib/components.mjs';
import { simulcastLayerFor, trackPeerConnections } from './lib/media.mjs';

const FILE = 'components';
const env = { srv: null, pages: {} };

const h = useHarness(FILE, {
    testPage: false,
    setup: async (h) => {
        await buildBundle();
        env.srv = await startComponentsServer({ rest: h.rest });
    },
    teardown: async () => env.srv?.close()
});
const step = makeSteps(h);

function pageState() {
    if (!window.ct) return { ct: false };
    return {
        events: window.ct.events(),
        rooms: [...document.querySelectorAll('ov-room')].map((r) => ({ id: r.id, phase: r.phase, tiles: window.ct.tiles(r.id), chat: window.ct.chat(r.id) }))
    };
}

async function open(name) {
    const p = await h.openPage(name, env.srv.url + 'room.html', { initScripts: [trackPeerConnections, droppableSockets], dumpState: pageState });
    await p.page.waitForFunction(() => !!window.ct && !!customElements.get('ov-room'), undefined, { timeout: 10_000 });
    env.pages[name] = p;
    return p;
}

const mount = (p, o) => p.evaluate((o) => window.ct.mount(o), o, { what: 'mount' });
const phase = (p, id) => p.evaluate((id) => window.ct.phase(id), id);
const tiles = (p, id) => p.evaluate((id) => window.ct.tiles(id), id);
const events = (p) => p.evaluate(() => window.ct.events());
const waitPhase = (p, id, want, timeoutMs = 20_000) =>
    waitInPage(p, ([id, want]) => window.ct.phase(id) === want, [id, want], { timeoutMs, what: `room ${id} ${want}` });
const waitEvent = (p, pred, what, timeoutMs = 10_000) =>
    waitInPage(p, (src) => window.ct.events().find(eval(src)), pred.toString(), { timeoutMs, what });
const REMOTE = 'ov-participant-tile:not([local])';

let sessionId;

step('keyboard-only join through the pre-join step; each grid plays the other camera', async () => {
    sessionId = await h.newSession('Comp');
    const alice = await open('alice');
    const token = (await h.rest.createConnection(sessionId)).token;
    await mount(alice, { id: 'r', prejoin: true, name: 'Alice', token });
    await waitPhase(alice, 'r', 'prejoin');
    // The SDK under the elements: ours, or the official bundle with E2E_COMPONENTS_SDK=official.
    const onOfficial = await alice.evaluate(() => document.getElementById('r').OpenVidu === window.OpenVidu);
    assert.equal(onOfficial, process.env.E2E_COMPONENTS_SDK === 'official');
    // The preview plays the local camera and the microphone meter is there.
    await waitInPage(alice, () => {
        const pre = document.querySelector('#r ov-prejoin').shadowRoot;
        return !!pre && pre.querySelector('video').videoWidth > 0 && !!pre.querySelector('[role=meter]');
    }, undefined, { what: 'pre-join preview playing' });

    // Keyboard only: Tab to the name, replace it, Tab to Join, Enter.
    await tabTo(alice, 'name-input');
    await alice.page.keyboard.press('Control+A');
    await alice.page.keyboard.type('Alice K');
    const join = await tabTo(alice, 'join-button');
    assert.equal(join.tag, 'button');
    await alice.page.keyboard.press('Enter');
    await waitPhase(alice, 'r', 'joined');
    const ev = await events(alice);
    const order = ev.filter((e) => ['ov-join', 'connected-at-session-created', 'ov-joined'].includes(e.type)).map((e) => e.type);
    assert.deepEqual(order, ['ov-join', 'connected-at-session-created', 'ov-joined']);
    assert.equal(ev.find((e) => e.type === 'connected-at-session-created').detail.connected, false, 'ov-session-created comes before connect');
    assert.equal(ev.find((e) => e.type === 'ov-join').detail.name, 'Alice K');

    const bob = await open('bob');
    await mount(bob, { id: 'r', name: 'Bob', token: (await h.rest.createConnection(sessionId)).token });
    await waitPhase(bob, 'r', 'joined');

    for (const [p, other] of [[alice, 'Bob'], [bob, 'Alice K']]) {
        await waitInPage(p, ([other]) => window.ct.tiles('r').some((t) => !('local' in t.attrs) && t.name === other), [other], { what: `a tile of ${other}` });
        // The layer that fills the tile (our SDK reports its size), once the publisher sends it.
        await waitForPlayingTile(p, { host: '#r', tile: REMOTE, size: simulcastLayerFor });
        await assertTileInScreenshot(p, { host: '#r', tile: REMOTE, file: FILE, shot: `in-call-${p.name}` });
        const ts = await tiles(p, 'r');
        assert.equal(ts.length, 2, `[${p.name}] two tiles: ${JSON.stringify(ts)}`);
        const local = ts.find((t) => 'local' in t.attrs);
        assert.equal(local.attrs.source, 'camera');
    }
    // A single token: no second one for a screen share, so no screen button.
    assert.equal(await alice.page.locator('#r ov-toolbar [part~=screen-button]').isVisible(), false);
    assert.equal(await alice.page.locator('#r ov-toolbar [part~=mic-button]').isVisible(), true);
    // Alice was told Bob joined: an event and the live region.
    const joined = await waitEvent(alice, (e) => e.type === 'ov-participant-joined', 'ov-participant-joined');
    assert.equal(joined.detail.participant.name, 'Bob');
    assert.equal((await h.rest.connectionIds(sessionId)).length, 2);
});

step('mute with the keyboard: the remote gets streamPropertyChanged and the tile turns audio-muted', async () => {
    const { alice, bob } = env.pages;
    const mic = await tabTo(alice, 'mic-button');
    assert.equal(mic.pressed, 'true');
    await alice.page.keyboard.press('Space');
    assert.equal((await alice.page.evaluate(deepActive)).pressed, 'false');
    const e = await waitEvent(bob, (e) => e.type === 'streamPropertyChanged' && e.detail.property === 'audioActive' && e.detail.newValue === false, 'audioActive false');
    assert.ok(e.detail.connectionId);
    await waitInPage(bob, () => window.ct.tiles('r').some((t) => t.name === 'Alice K' && 'audio-muted' in t.attrs), undefined, { what: "Alice's tile audio-muted" });
    // The M shortcut unmutes.
    await alice.page.keyboard.press('m');
    await waitEvent(bob, (e) => e.type === 'streamPropertyChanged' && e.detail.property === 'audioActive' && e.detail.newValue === true, 'audioActive true');
    await waitInPage(bob, () => window.ct.tiles('r').some((t) => t.name === 'Alice K' && !('audio-muted' in t.attrs)), undefined, { what: "Alice's tile not audio-muted" });
    assert.equal((await alice.page.evaluate(deepActive)).pressed, 'true');
});

step('chat both ways (Alice by keyboard only), announced in the live region', async () => {
    const { alice, bob } = env.pages;
    await tabTo(alice, 'chat-button');
    await alice.page.keyboard.press('Enter');
    await tabTo(alice, 'input', { reverse: true });
    await alice.page.keyboard.type('hello from alice');
    await alice.page.keyboard.press('Enter');
    // Bob's chat is closed (not even rendered): the live region says it, the badge counts it.
    await waitInPage(bob, () => /Alice K says: hello from alice/.test(window.ct.live('r')), undefined, { what: 'alice message announced' });
    assert.deepEqual(await bob.page.evaluate(() => window.ct.chat('r')), [], 'a closed chat shows nothing');
    const badge = await bob.page.evaluate(() => document.querySelector('#r ov-toolbar').shadowRoot.querySelector('[data-b=chat] .badge').textContent);
    assert.equal(badge, '1', 'one unread message on the chat button');
    // Her own message comes back through the server's echo.
    await waitInPage(alice, () => window.ct.chat('r').some((m) => m.text === 'hello from alice' && m.local), undefined, { what: 'own echo' });

    await bob.page.locator('#r ov-toolbar [part~=chat-button]').click();
    await waitInPage(bob, () => window.ct.chat('r').some((m) => m.who === 'Alice K' && m.text === 'hello from alice' && !m.local), undefined, { what: 'alice message in the opened chat' });
    await bob.page.locator('#r ov-chat input').fill('hi   alice');
    await bob.page.locator('#r ov-chat input').press('Enter');
    await waitInPage(alice, () => window.ct.chat('r').some((m) => m.who === 'Bob' && m.text === 'hi alice'), undefined, { what: 'bob message' });
});

step('leave with the keyboard: the other one sees the participant leave', async () => {
    const { alice, bob } = env.pages;
    await tabTo(alice, 'leave-button');
    await alice.page.keyboard.press('Enter');
    await waitPhase(alice, 'r', 'left', 10_000);
    const left = (await events(alice)).find((e) => e.type === 'ov-left');
    assert.equal(left.detail.reason, 'disconnect');
    const gone = await waitEvent(bob, (e) => e.type === 'ov-participant-left', 'ov-participant-left');
    assert.equal(gone.detail.participant.name, 'Alice K');
    await waitInPage(bob, () => window.ct.tiles('r').length === 1, undefined, { what: 'only the local tile' });
    assert.equal((await h.rest.connectionIds(sessionId)).length, 1);
});

step('two <ov-room>s on one page: each has its own session, participants and chat', async () => {
    const { alice: carol, bob } = env.pages;
    carol.name = 'carol';
    const s1 = await h.newSession('CompA');
    const s2 = h.uniqueId('CompB'); // made by the application server
    await carol.evaluate(() => document.getElementById('r').remove());
    await bob.evaluate(() => document.getElementById('r').remove());
    await waitInPage(bob, () => !document.getElementById('r'), undefined, { what: 'room removed' });
    await mount(carol, { id: 'a', name: 'Carol A', token: (await h.rest.createConnection(s1)).token });
    await mount(carol, { id: 'b', name: 'Carol B', session: s2, appServer: env.srv.url });
    await mount(bob, { id: 'r2', name: 'Bob', token: (await h.rest.createConnection(s1)).token });
    for (const [p, id] of [[carol, 'a'], [carol, 'b'], [bob, 'r2']]) await waitPhase(p, id, 'joined');
    await waitInPage(carol, () => window.ct.tiles('a').some((t) => t.name === 'Bob'), undefined, { what: 'Bob in room a' });
    await waitInPage(bob, () => window.ct.tiles('r2').some((t) => t.name === 'Carol A'), undefined, { what: 'Carol A in r2' });
    assert.deepEqual((await tiles(carol, 'b')).map((t) => t.name), ['Carol B (You)']);
    assert.deepEqual((await tiles(bob, 'r2')).map((t) => t.name).sort(), ['Bob (You)', 'Carol A']);
    assert.equal((await h.rest.connectionIds(s2)).length, 1, 'room b joined its own session through the application server');
    // Chat in room a reaches Bob and not room b (every chat open, so each shows what it has).
    await bob.page.locator('#r2 ov-toolbar [part~=chat-button]').click();
    await carol.page.locator('#b ov-toolbar [part~=chat-button]').click();
    await carol.page.locator('#a ov-toolbar [part~=chat-button]').click();
    await carol.page.locator('#a ov-chat input').fill('only in a');
    await carol.page.locator('#a ov-chat input').press('Enter');
    await waitInPage(bob, () => window.ct.chat('r2').some((m) => m.text === 'only in a'), undefined, { what: 'message of room a' });
    await waitInPage(carol, () => window.ct.chat('a').some((m) => m.text === 'only in a'), undefined, { what: 'echo in a' });
    assert.equal(await carol.evaluate(() => !!document.querySelector('#b ov-chat').shadowRoot), true, 'the chat of room b is open');
    assert.deepEqual(await carol.evaluate(() => window.ct.chat('b')), []);
    await waitForPlayingTile(bob, { host: '#r2', tile: REMOTE });
});

step('pagination: tiles off the page are hidden and unsubscribed from video; the speaker layout promotes a remote', async () => {
    const { bob } = env.pages;
    const state = () =>
        bob.evaluate(() => {
            const grid = document.querySelector('#r2 ov-participant-grid');
            return [...grid.shadowRoot.querySelectorAll('ov-participant-tile')].map((t) => ({
                local: t.hasAttribute('local'),
                hidden: t.hidden,
                main: t.classList.contains('main'),
                videoEnabled: t.participant.camera?.manager.stream.getMediaStream()?.getVideoTracks()[0]?.enabled ?? null
            }));
        });
    const remote = async () => (await state()).find((t) => !t.local);
    await bob.evaluate(() => document.querySelector('#r2 ov-participant-grid').setAttribute('page-size', '1'));
    await waitFor(async () => (await remote()).hidden && (await remote()).videoEnabled === false, { what: 'remote tile off page 1, video off', describe: async () => JSON.stringify(await state()) });
    assert.equal((await state()).find((t) => t.local).hidden, false);
    await bob.page.locator('#r2 ov-participant-grid [part~=next-button]').click();
    await waitFor(async () => !(await remote()).hidden && (await remote()).videoEnabled === true, { what: 'remote tile on page 2, video on', describe: async () => JSON.stringify(await state()) });
    assert.equal((await state()).find((t) => t.local).hidden, true);
    await waitForPlayingTile(bob, { host: '#r2', tile: REMOTE });
    // Speaker layout: the remote is the big tile on every page.
    await bob.evaluate(() => {
        const grid = document.querySelector('#r2 ov-participant-grid');
        grid.removeAttribute('page-size');
        grid.setAttribute('layout', 'speaker');
    });
    await waitFor(async () => (await remote()).main && !(await remote()).hidden, { what: 'remote is the main tile', describe: async () => JSON.stringify(await state()) });
});

step('moderator actions in <ov-participants>: force unpublish, then force disconnect', async () => {
    const { alice: carol, bob } = env.pages;
    const s1 = await bob.evaluate(() => document.getElementById('r2').session.sessionId);
    const token = (await h.rest.createConnection(s1, { role: 'MODERATOR' })).token;
    await mount(carol, { id: 'm', name: 'Mod', token });
    await waitPhase(carol, 'm', 'joined');
    await carol.page.locator('#m ov-toolbar [part~=participants-button]').click();
    const unpublish = carol.page.locator('#m ov-participants [part~=unpublish-button][aria-label="Stop their media: Bob"]');
    await unpublish.click();
    await waitInPage(bob, () => {
        const r = document.getElementById('r2');
        return r.local && !r.local.camera && r.publisher === null;
    }, undefined, { what: "Bob's camera unpublished" });
    await waitInPage(carol, () => [...document.getElementById('m').participants.values()].some((p) => p.name === 'Bob' && !p.camera), undefined, { what: 'Bob without camera' });
    await carol.page.locator('#m ov-participants [part~=kick-button][aria-label="Remove from call: Bob"]').click();
    await waitPhase(bob, 'r2', 'left');
    const left = (await events(bob)).filter((e) => e.room === 'r2' && e.type === 'ov-left').pop();
    assert.equal(left.detail.reason, 'forceDisconnectByUser');
    // A PUBLISHER sees no moderator buttons (in its open panel, which lists the participants).
    await carol.page.locator('#a ov-toolbar [part~=participants-button]').click();
    await carol.page.locator('#a ov-participants [part~=local-item]').waitFor({ timeout: 5_000 });
    assert.equal(await carol.page.locator('#a ov-participants [part~=kick-button]').count(), 0);
});

step('theming: --ov-* custom properties and ::part() reach inside the shadow roots; nothing leaks out; lang bundles', async () => {
    const { alice: carol } = env.pages;
    const r = await carol.evaluate(() => {
        const style = document.createElement('style');
        style.textContent = `#a { --ov-primary-color: rgb(4, 5, 6); --ov-warn-color: rgb(1, 2, 3); --ov-video-radius: 17px; }
#a ov-toolbar::part(leave-button) { outline: 5px solid rgb(7, 8, 9); }`;
        document.head.append(style);
        const plain = document.createElement('button');
        plain.textContent = 'page button';
        document.body.append(plain);
        const a = document.getElementById('a');
        const toolbar = a.querySelector('ov-toolbar');
        const leave = toolbar.shadowRoot.querySelector('[data-b=leave]');
        const tile = a.querySelector('ov-participant-grid').shadowRoot.querySelector('ov-participant-tile').shadowRoot.querySelector('.tile');
        const b = document.getElementById('b').querySelector('ov-toolbar').shadowRoot.querySelector('[data-b=leave]');
        const cs = (el) => getComputedStyle(el);
        return {
            toolbarBg: cs(toolbar).backgroundColor,
            leaveBg: cs(leave).backgroundColor,
            leaveOutline: cs(leave).outlineColor + ' ' + cs(leave).outlineWidth,
            tileRadius: cs(tile).borderTopLeftRadius,
            otherRoomLeaveBg: cs(b).backgroundColor,
            pageButtonMinHeight: cs(plain).minHeight,
            pageButtonRadius: cs(plain).borderTopLeftRadius
        };
    });
    assert.equal(r.toolbarBg, 'rgb(4, 5, 6)');
    assert.equal(r.leaveBg, 'rgb(1, 2, 3)');
    assert.equal(r.leaveOutline, 'rgb(7, 8, 9) 5px');
    assert.equal(r.tileRadius, '17px');
    assert.notEqual(r.otherRoomLeaveBg, 'rgb(1, 2, 3)', 'the other room keeps its default');
    assert.notEqual(r.pageButtonMinHeight, '44px', 'the components\' button rules do not leak to the page');
    // Strings follow the room's lang attribute.
    const label = () => carol.evaluate(() => document.getElementById('b').querySelector('ov-toolbar').shadowRoot.querySelector('[data-b=leave]').getAttribute('aria-label'));
    assert.equal(await label(), 'Leave');
    await carol.evaluate(() => document.getElementById('b').setAttribute('lang', 'es'));
    await waitFor(async () => (await label()) === 'Salir', { what: 'es label' });
    await carol.evaluate(() => document.getElementById('b').setAttribute('lang', 'ko'));
    await waitFor(async () => (await label()) === '나가기', { what: 'ko label' });
    await carol.evaluate(() => {
        const b = document.getElementById('b');
        b.strings = { leave: 'Bye' };
        b.changed();
    });
    await waitFor(async () => (await label()) === 'Bye', { what: 'overridden label' });
});

step('a signalling drop: <ov-connection-banner> counts down while reconnecting, then goes away', async () => {
    const { alice: carol } = env.pages;
    const banner = () =>
        carol.evaluate(() => {
            const b = document.querySelector('#a ov-connection-banner');
            return { hidden: b.hidden, text: b.shadowRoot.querySelector('.text').textContent, phase: document.getElementById('a').phase };
        });
    assert.equal((await banner()).hidden, true);
    const closed = await carol.evaluate(() => window.__dropSockets(2_000));
    assert.ok(closed >= 1, `closed ${closed} sockets`);
    const shown = await waitFor(async () => {
        const b = await banner();
        return !b.hidden && b.phase === 'reconnecting' ? b : null;
    }, { timeoutMs: 5_000, what: 'banner while reconnecting', describe: async () => JSON.stringify(await banner()) });
    assert.match(shown.text, /^Connection lost\. Reconnecting… \d+ s$/);
    await waitEvent(carol, (e) => e.room === 'a' && e.type === 'ov-reconnecting', 'ov-reconnecting');
    await waitEvent(carol, (e) => e.room === 'a' && e.type === 'ov-reconnected', 'ov-reconnected', 20_000);
    await waitFor(async () => (await banner()).hidden, { what: 'banner hidden again', describe: async () => JSON.stringify(await banner()) });
    assert.equal((await banner()).phase, 'joined');
});

step('no page threw an uncaught exception', async () => {
    const errors = h.participants.flatMap((p) => p.log.filter((l) => l.includes('pageerror:')).map((l) => `[${p.name}] ${l}`));
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} uncaught exceptions`);
}, { independent: true });
