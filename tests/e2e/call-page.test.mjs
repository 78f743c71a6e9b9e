// The deployment's call page (`/`, sdk/call, in development mode) as people use it: Dave
// starts a room from the home form, Erin and Frank open its link and press Join. Every page
// plays the two other cameras (screenshots whose tile boxes show the green fake camera, not
// black); tiles show who speaks (every microphone plays a tone, then silence) and who muted;
// Dave switches his microphone in the settings panel and Erin keeps hearing him;
// Frank leaves, lands on the pre-join step and rejoins; a WebSocket drop on Erin's
// page shows the reconnection banner, and the call goes on with video both ways.
//
// Needs the server built from a tree with sdk/ (embedded at compile time):
// `cargo build --release -p ov-server`.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { simulcastLayerFor, trackPeerConnections } from './lib/media.mjs';
import { droppableSockets, waitForPlayingTile, assertTileInScreenshot, waitInPage } from './lib/components.mjs';
import { writeToneWav } from './lib/audio.mjs';
import { waitFor } from './lib/wait.mjs';

/** Every microphone plays a tone, then silence, in a loop (lib/audio.mjs). */
let wav = null;

const h = useHarness('call-page', {
    testPage: false,
    // Development mode with the tests' own secret: the call page and its token API.
    serverOptions: { env: { OPENVIDU_DEV: 'true' } },
    browserArgs: async () => {
        // A long silence: speaking stops after ten quiet samples in a row (100 ms apart, as
        // hark), and three busy pages on two cores stretch the timers.
        wav = await writeToneWav({ toneMs: 1_500, silenceMs: 3_000 });
        return [`--use-file-for-fake-audio-capture=${wav.file}`];
    },
    teardown: async () => wav?.remove()
});
const step = makeSteps(h);

const FILE = 'call-page';
const HOST = 'openvidu-call';
const REMOTE = 'ov-participant-tile:not([local])';
const ROOM = `callpage-${Date.now().toString(36)}`;
const NAMES = ['Dave', 'Erin', 'Frank'];
/** name → Participant (harness page) */
const pages = {};

/** In the page: which view shows, the call's phase and banner, and the grid's tiles. */
function callState() {
    const call = /** @type {any} */ (document.querySelector('openvidu-call'));
    const banner = call?.shadowRoot.querySelector('ov-connection-banner');
    const tiles = [...(call?.grid.shadowRoot.querySelectorAll('ov-participant-tile') ?? [])].map((t) => ({
        name: t.shadowRoot.querySelector('.tile')?.getAttribute('aria-label'),
        local: t.hasAttribute('local'),
        hidden: t.hidden,
        attrs: t.getAttributeNames()
    }));
    const error = document.getElementById('error');
    return {
        view: ['home', 'prejoin', 'call'].find((id) => !document.getElementById(id).hidden) ?? null,
        url: location.pathname + location.search,
        message: document.getElementById('prejoin-message').textContent,
        error: error.hidden ? null : error.textContent,
        phase: call?.room.phase ?? null,
        banner: banner ? { hidden: banner.hidden, text: banner.shadowRoot?.querySelector('.text')?.textContent } : null,
        tiles
    };
}

const state = (p) => p.evaluate(callState);

/** Waits until `p`'s call shows exactly the remote tiles of `names`. */
function waitRemoteNames(p, names) {
    const want = JSON.stringify([...names].sort());
    let last;
    return waitFor(
        async () => {
            last = await state(p);
            return last.phase === 'joined' && JSON.stringify(last.tiles.filter((t) => !t.local).map((t) => t.name).sort()) === want;
        },
        { timeoutMs: 20_000, what: `[${p.name}] remote tiles ${want}`, describe: () => JSON.stringify(last?.tiles) }
    );
}

/** Waits until `p`'s tile of `tile` has (`on`) or lacks attribute `name`. */
function waitTileFlag(p, tile, name, on) {
    let last;
    return waitFor(
        async () => {
            last = (await state(p)).tiles.find((t) => t.name === tile);
            return !!last && last.attrs.includes(name) === on;
        },
        { timeoutMs: 10_000, what: `[${p.name}] ${tile}'s tile ${on ? 'with' : 'without'} [${name}]`, describe: () => JSON.stringify(last) }
    );
}

async function open(name, url) {
    const p = await h.openPage(name, url, { initScripts: [trackPeerConnections, droppableSockets], dumpState: callState });
    pages[name] = p;
    return p;
}

async function pressJoin(p, name) {
    await p.page.fill('#prejoin-name', name);
    await p.page.click('#join-button');
}

step('Dave starts a room from the home form; Erin and Frank join by its link', async () => {
    const dave = await open('Dave', `${h.server.url}/`);
    assert.equal((await state(dave)).view, 'home');
    await dave.page.fill('#start-room', ROOM);
    await dave.page.fill('#start-name', 'Dave');
    await dave.page.click('#start-form button[type=submit]');
    await dave.page.waitForURL(`${h.server.url}/?room=${ROOM}`, { timeout: 5_000 });
    for (const name of ['Erin', 'Frank']) {
        const p = await open(name, `${h.server.url}/?room=${ROOM}`);
        const s = await state(p);
        assert.equal(s.view, 'prejoin', `[${name}] the link opens the pre-join step: ${JSON.stringify(s)}`);
        assert.equal(await p.page.textContent('#prejoin-room'), ROOM);
        await pressJoin(p, name);
    }
    for (const name of NAMES) await waitRemoteNames(pages[name], NAMES.filter((n) => n !== name));
});

step('every page plays the two other cameras, and its screenshot shows them', async () => {
    for (const name of NAMES) {
        const p = pages[name];
        for (const other of NAMES.filter((n) => n !== name)) {
            // The layer that fills the tile (our SDK reports its size), once the publisher sends it.
            await waitForPlayingTile(p, { host: HOST, tile: REMOTE, name: other, size: simulcastLayerFor });
            await assertTileInScreenshot(p, { host: HOST, tile: REMOTE, name: other, file: FILE, shot: `${name}-sees-${other}` });
        }
        const s = await state(p);
        assert.equal(s.error, null, `[${name}] no error shown`);
        // ICE servers only from the deployment (its TURN server), none public.
        const urls = await p.evaluate(() => window.__pcs.flatMap((pc) => pc.getConfiguration().iceServers.flatMap((i) => [i.urls].flat())));
        assert.ok(urls.length > 0 && urls.every((u) => /^turns?:127\.0\.0\.1:/.test(u)), `[${name}] ICE servers: ${urls.join(' ')}`);
        assert.equal(s.tiles.filter((t) => t.local).length, 1, `[${name}] its own tile: ${JSON.stringify(s.tiles)}`);
    }
});

step('speaking and mute show on the tiles: [speaking] follows the tone and the silence, [audio-muted] the mic button', async () => {
    const dave = pages.Dave;
    // Erin's microphone plays the tone for 1.5 s, then 3 s of silence.
    await waitTileFlag(dave, 'Erin', 'speaking', true);
    await waitTileFlag(dave, 'Erin', 'speaking', false);
    assert.equal((await state(dave)).tiles.find((t) => t.name === 'Erin').attrs.includes('audio-muted'), false);
    await pages.Frank.page.click('[part~="mic-button"]');
    await waitTileFlag(dave, 'Frank', 'audio-muted', true);
    await waitTileFlag(pages.Erin, 'Frank', 'audio-muted', true);
    await pages.Frank.page.click('[part~="mic-button"]');
    await waitTileFlag(dave, 'Frank', 'audio-muted', false);
});

/** In `p`'s page: audio packets received so far from participant `name`'s camera stream. */
function audioPacketsFrom(p, name) {
    return p.evaluate(async (name) => {
        const room = /** @type {any} */ (document.querySelector('openvidu-call')).room;
        const from = [...room.participants.values()].find((x) => x.name === name);
        let n = 0;
        (await from.camera.stream.getRTCPeerConnection().getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived;
        });
        return n;
    }, name);
}

// A microphone, not a camera: Chromium's second fake camera sends frames in a format the
// encoder does not take (its frames never reach an RTCRtpSender), its fake microphones all work.
step("the settings panel switches Dave's microphone in the call; Erin keeps hearing him", async () => {
    const dave = pages.Dave;
    await dave.page.click('[part~="settings-button"]');
    const select = dave.page.locator('ov-panel[name=settings] ov-device-select[kind=audioinput] select');
    await select.locator('option').nth(1).waitFor({ state: 'attached', timeout: 5_000 });
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent })));
    const micLabel = () => dave.evaluate(() => document.querySelector('openvidu-call').room.publisher.stream.getMediaStream().getAudioTracks()[0].label);
    const before = await micLabel();
    const other = options.find((o) => o.label !== before && o.value !== 'default');
    assert.ok(other, `another microphone than ${before}: ${JSON.stringify(options)}`);
    await select.selectOption(other.value);
    await waitInPage(
        dave,
        (label) => document.querySelector('openvidu-call').room.publisher.stream.getMediaStream().getAudioTracks()[0].label === label,
        other.label,
        { what: `the microphone ${other.label} published` }
    );
    const at = await audioPacketsFrom(pages.Erin, 'Dave');
    await waitFor(async () => (await audioPacketsFrom(pages.Erin, 'Dave')) > at + 20, { timeoutMs: 5_000, what: "Dave's audio reaching Erin after the switch" });
    await dave.page.click('[part~="settings-button"]');
    await waitInPage(dave, () => document.querySelector('openvidu-call').shadowRoot.querySelector('ov-panel[name=settings]').hidden, undefined, { what: 'the settings panel closed' });
});

step('the grid takes the whole width until a panel opens: chat shows beside it, and closes', async () => {
    const dave = pages.Dave;
    const widths = () =>
        dave.evaluate(() => {
            const call = /** @type {any} */ (document.querySelector('openvidu-call'));
            const chat = call.shadowRoot.querySelector('ov-chat');
            return { call: call.getBoundingClientRect().width, grid: call.grid.getBoundingClientRect().width, chat: chat.hidden ? 0 : chat.getBoundingClientRect().width };
        });
    const closed = await widths();
    assert.ok(closed.grid >= closed.call - 1 && closed.chat === 0, `no panel open: ${JSON.stringify(closed)}`);
    await dave.page.click('[part~="chat-button"]');
    const open = await waitInPage(dave, () => {
        const call = /** @type {any} */ (document.querySelector('openvidu-call'));
        const chat = call.shadowRoot.querySelector('ov-chat');
        return !chat.hidden && chat.getBoundingClientRect().width > 0;
    }, undefined, { what: 'the chat panel' }).then(widths);
    assert.ok(open.chat > 100 && open.grid + open.chat <= open.call && open.grid > open.call / 2, `chat open: ${JSON.stringify(open)}`);
    await dave.page.click('[part~="chat-button"]');
    await waitInPage(dave, () => document.querySelector('openvidu-call').shadowRoot.querySelector('ov-chat').hidden, undefined, { what: 'the chat panel closed' });
    const again = await widths();
    assert.ok(again.grid >= again.call - 1, `closed again: ${JSON.stringify(again)}`);
});

step('Frank leaves: he is back at the pre-join step of the room, the others see him go', async () => {
    const frank = pages.Frank;
    await frank.page.click('[part~="leave-button"]');
    await waitInPage(frank, () => !document.getElementById('prejoin').hidden, undefined, { what: 'the pre-join step after leaving' });
    const s = await state(frank);
    assert.equal(s.message, 'You left the room.');
    assert.equal(s.url, `/?room=${ROOM}`, 'the address is still the room link');
    assert.equal(s.phase, null, 'the call element is gone');
    await waitRemoteNames(pages.Dave, ['Erin']);
    await waitRemoteNames(pages.Erin, ['Dave']);
});

step('Frank rejoins with the Join button; all three decode each other again', async () => {
    await pressJoin(pages.Frank, 'Frank');
    for (const name of NAMES) await waitRemoteNames(pages[name], NAMES.filter((n) => n !== name));
    for (const [viewer, shown] of [['Frank', 'Dave'], ['Frank', 'Erin'], ['Dave', 'Frank'], ['Erin', 'Frank']]) {
        await waitForPlayingTile(pages[viewer], { host: HOST, tile: REMOTE, name: shown });
    }
});

step('a WebSocket drop on Erin\'s page: the banner counts down, the call reconnects, video flows both ways', async () => {
    const erin = pages.Erin;
    const closed = await erin.evaluate(() => window.__dropSockets(2_000));
    assert.ok(closed >= 1, `closed ${closed} sockets`);
    const during = await waitInPage(
        erin,
        () => {
            const call = /** @type {any} */ (document.querySelector('openvidu-call'));
            const b = call.shadowRoot.querySelector('ov-connection-banner');
            return call.room.phase === 'reconnecting' && !b.hidden ? b.shadowRoot.querySelector('.text').textContent : null;
        },
        undefined,
        { timeoutMs: 5_000, what: 'the reconnection banner' }
    );
    assert.match(during, /^Connection lost\. Reconnecting… \d+ s$/);
    await waitInPage(
        erin,
        () => {
            const call = /** @type {any} */ (document.querySelector('openvidu-call'));
            return call.room.phase === 'joined' && call.shadowRoot.querySelector('ov-connection-banner').hidden;
        },
        undefined,
        { timeoutMs: 20_000, what: 'reconnected, the banner gone' }
    );
    for (const [viewer, shown] of [['Erin', 'Dave'], ['Erin', 'Frank'], ['Dave', 'Erin'], ['Frank', 'Erin']]) {
        await waitForPlayingTile(pages[viewer], { host: HOST, tile: REMOTE, name: shown });
    }
    assert.equal((await state(erin)).view, 'call');
});

step('no page threw an uncaught exception', async () => {
    const errors = h.participants.flatMap((p) => p.log.filter((l) => l.includes('pageerror:')).map((l) => `[${p.name}] ${l}`));
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} uncaught exceptions`);
}, { independent: true });
