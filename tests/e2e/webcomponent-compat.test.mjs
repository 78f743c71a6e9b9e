// A page written for OpenVidu 2.32's ready-to-use component (the openvidu-webcomponent
// tutorial: a form, two tokens {webcam, screen} from the tutorials' application server,
// `webComponent.tokens = …`, its on* events) running on our <openvidu-webcomponent> with
// only its script tags changed (page/components/webcomponent.html); and interoperability
// with a participant on the unmodified openvidu-browser 2.32.2 that sends and reads what
// the official components do (components spec §2.1–2.3): metadata {clientData,
// participantId, type}, `signal:chat` {message, nickname}, `nicknameChanged` {clientData}.
// Screen sharing uses the second token on demand (a second connection, type SCREEN, the
// same participantId). The SDK under the element is the official bundle until ours is
// merged (lib/components-pages.mjs).

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { buildBundle } from './lib/bundle.mjs';
import { startComponentsServer } from './lib/components-pages.mjs';
import { waitForPlayingTile, assertTileInScreenshot, waitInPage, parseMetadataForTest } from './lib/components.mjs';
import { trackPeerConnections } from './lib/media.mjs';

const FILE = 'webcomponent-compat';
const env = { srv: null, wc: null, fx: null };

const h = useHarness(FILE, {
    testPage: false,
    browserArgs: ['--auto-select-desktop-capture-source=Entire screen'],
    setup: async (h) => {
        await buildBundle();
        env.srv = await startComponentsServer({ rest: h.rest });
    },
    teardown: async () => env.srv?.close()
});
const step = makeSteps(h);

const WC = 'openvidu-webcomponent';
const sessionName = h.uniqueId('WebComponent');

function wcState() {
    const wc = document.querySelector('openvidu-webcomponent');
    return { log: window.__log, phase: wc?.room?.phase, participants: wc && [...wc.room.participants.values()].map((p) => p.name) };
}

const wcLog = () => env.wc.evaluate(() => window.__log);
const fxLog = () => env.fx.evaluate(() => window.fx.log());
const waitWcLog = (type, what = type) => waitInPage(env.wc, (t) => window.__log.find((e) => e.type === t), type, { what, timeoutMs: 15_000 });
const waitFx = (src, what) => waitInPage(env.fx, (src) => window.fx.log().find(eval(src)), src.toString(), { what, timeoutMs: 15_000 });

step('the tutorial page joins with tokens {webcam, screen}; onSessionCreated comes before connect', async () => {
    const wc = (env.wc = await h.openPage('webcomponent', env.srv.url + 'webcomponent.html', { initScripts: [trackPeerConnections], dumpState: wcState }));
    await wc.page.waitForFunction(() => !!customElements.get('openvidu-webcomponent'), undefined, { timeout: 10_000 });
    await wc.page.locator('#sessionName').fill(sessionName);
    await wc.page.locator('input[type=submit]').click();
    // Two tokens from the application server (4 calls), the pre-join step of the element.
    const prejoinName = wc.page.locator(`${WC} ov-prejoin input[name=name]`);
    await prejoinName.waitFor({ timeout: 15_000 });
    assert.equal(env.srv.tokens.length, 2, 'webcam and screen tokens fetched');
    assert.match(await prejoinName.inputValue(), /^OpenVidu_User\d{1,2}$/, 'the default nickname of the 2.32 component');
    await prejoinName.fill('WC User');
    await wc.page.locator(`${WC} ov-prejoin [part~=join-button]`).click();
    await waitInPage(wc, () => document.querySelector('openvidu-webcomponent').room.phase === 'joined', undefined, { what: 'joined', timeoutMs: 20_000 });
    const log = await wcLog();
    const types = log.map((e) => e.type);
    assert.ok(types.indexOf('onJoinButtonClicked') < types.indexOf('onSessionCreated'), types.join());
    assert.equal(types.indexOf('onParticipantCreated'), types.indexOf('onSessionCreated') + 1, types.join());
    const created = log.find((e) => e.type === 'onSessionCreated');
    assert.deepEqual([created.connected, created.hasOn], [false, true], 'detail is the Session, not yet connected');
    assert.equal(log.find((e) => e.type === 'onParticipantCreated').name, 'WC User');
    // The handlers attached in onSessionCreated saw the own connection.
    await waitWcLog('connectionCreated');
    const own = JSON.parse(log.find((e) => e.type === 'connectionCreated')?.data ?? (await wcLog()).find((e) => e.type === 'connectionCreated').data);
    assert.equal(own.clientData, 'WC User');
    assert.equal(own.type, 'CAMERA');
    assert.ok(own.participantId);
    // Only the webcam connection is active; the screen token waits for a share.
    assert.equal((await h.rest.connectionIds(sessionName, 'active')).length, 1);
    // The toolbar offers screen sharing (there is a screen token).
    assert.equal(await wc.page.locator(`${WC} ov-toolbar [part~=screen-button]`).isVisible(), true);
});

step('a participant on the official openvidu-browser and the element see each other', async () => {
    const fx = (env.fx = await h.openPage('fixture', env.srv.url + 'fixture.html', { dumpState: () => window.fx?.log() }));
    await fx.page.waitForFunction(() => !!window.fx, undefined, { timeout: 10_000 });
    await fx.evaluate((s) => window.fx.join(s, 'Fixture'), sessionName, { timeoutMs: 20_000, what: 'fixture join' });
    // The element groups the fixture by participantId and plays its camera.
    await waitInPage(env.wc, () => {
        const wc = document.querySelector('openvidu-webcomponent');
        return [...wc.room.participants.values()].some((p) => p.name === 'Fixture' && p.camera);
    }, undefined, { what: 'Fixture with a camera' });
    await waitForPlayingTile(env.wc, { host: WC, tile: 'ov-participant-tile:not([local])' });
    await assertTileInScreenshot(env.wc, { host: WC, tile: 'ov-participant-tile:not([local])', file: FILE, shot: 'element-sees-fixture' });
    await waitWcLog('streamCreated', 'the tutorial handler saw streamCreated');
    // The fixture sees the element's camera connection with the components' metadata.
    const s = await waitFx((e) => e.type === 'streamCreated' && e.typeOfVideo === 'CAMERA', 'the element camera stream');
    const meta = parseMetadataForTest(s.data);
    assert.equal(meta.clientData, 'WC User');
    assert.equal(meta.type, 'CAMERA');
    assert.ok(meta.participantId);
    env.wcParticipantId = meta.participantId;
    env.wcConnectionId = s.connectionId;
});

step('chat both ways: signal:chat {message, nickname}', async () => {
    await env.fx.evaluate(() => window.fx.sendChat('hola from the official SDK'));
    await env.wc.page.locator(`${WC} ov-toolbar [part~=chat-button]`).click();
    await waitWcLog('onToolbarChatPanelButtonClicked');
    await waitInPage(env.wc, () => {
        const chat = document.querySelector('openvidu-webcomponent').shadowRoot.querySelector('ov-chat').shadowRoot;
        return [...(chat?.querySelectorAll('.msg') ?? [])].some((m) => m.querySelector('.who').textContent === 'Fixture' && m.querySelector('.text').textContent === 'hola from the official SDK');
    }, undefined, { what: 'fixture message in the chat' });
    const input = env.wc.page.locator(`${WC} ov-chat input`);
    await input.fill('hello official');
    await input.press('Enter');
    const got = await waitFx((e) => e.type === 'chat' && e.data.message === 'hello official', 'our chat message');
    assert.deepEqual(got.data, { message: 'hello official', nickname: 'WC User' });
    assert.equal(got.from, env.wcConnectionId);
});

step('nicknameChanged both ways', async () => {
    await env.fx.evaluate(() => window.fx.rename('Fixture Renamed'));
    await env.wc.page.locator(`${WC} ov-toolbar [part~=participants-button]`).click();
    await waitWcLog('onToolbarParticipantsPanelButtonClicked');
    await waitInPage(env.wc, () => {
        const el = document.querySelector('openvidu-webcomponent').shadowRoot.querySelector('ov-participants').shadowRoot;
        return [...el.querySelectorAll('.name')].some((n) => n.textContent === 'Fixture Renamed');
    }, undefined, { what: 'renamed in the participants panel' });
    const nameInput = env.wc.page.locator(`${WC} ov-participants [part~=name-input]`);
    await nameInput.fill('WC Renamed');
    await nameInput.press('Enter');
    const got = await waitFx((e) => e.type === 'nicknameChanged' && e.data.clientData === 'WC Renamed', 'our nicknameChanged');
    assert.deepEqual(got.data, { clientData: 'WC Renamed' });
    assert.equal(got.from, env.wcConnectionId);
    // The settings panel offers the devices in the call.
    await env.wc.page.locator(`${WC} ov-toolbar [part~=settings-button]`).click();
    const camera = env.wc.page.locator(`${WC} ov-panel[name=settings] ov-device-select[kind=videoinput] select`);
    await camera.waitFor({ state: 'visible', timeout: 5_000 });
    // Listed once the panel opened (the devices are asked for then).
    await camera.locator('option').first().waitFor({ state: 'attached', timeout: 5_000 });
    assert.equal(await camera.isDisabled(), false);
    // Chat now carries the new nickname.
    await env.wc.page.locator(`${WC} ov-toolbar [part~=chat-button]`).click(); // one panel at a time: back to the chat
    await env.wc.page.locator(`${WC} ov-chat input`).fill('renamed');
    await env.wc.page.locator(`${WC} ov-chat input`).press('Enter');
    const msg = await waitFx((e) => e.type === 'chat' && e.data.message === 'renamed', 'chat after rename');
    assert.equal(msg.data.nickname, 'WC Renamed');
});

step('screen sharing: a second connection on the screen token, type SCREEN, the same participantId', async () => {
    const tokensBefore = env.srv.tokens.length;
    await env.wc.page.locator(`${WC} ov-toolbar [part~=screen-button]`).click();
    await waitWcLog('onToolbarScreenshareButtonClicked');
    const s = await waitFx((e) => e.type === 'streamCreated' && e.typeOfVideo === 'SCREEN', 'the screen stream');
    const meta = parseMetadataForTest(s.data);
    assert.deepEqual(meta, { clientData: 'WC Renamed_SCREEN', participantId: env.wcParticipantId, type: 'SCREEN' });
    assert.notEqual(s.connectionId, env.wcConnectionId);
    assert.equal(env.srv.tokens.length, tokensBefore, 'no new token: the screen one was given');
    assert.equal((await h.rest.connectionIds(sessionName, 'active')).length, 3);
    // The element shows its own screen as a tile, and no extra participant for it.
    await waitInPage(env.wc, () => {
        const wc = document.querySelector('openvidu-webcomponent');
        const tiles = [...wc.shadowRoot.querySelector('ov-participant-grid').shadowRoot.querySelectorAll('ov-participant-tile')];
        return tiles.some((t) => t.hasAttribute('local') && t.getAttribute('source') === 'screen') && wc.room.participants.size === 1;
    }, undefined, { what: 'own screen tile' });
});

step('element.disconnect() leaves both connections; the tutorial shows its form again', async () => {
    await env.wc.evaluate(() => document.querySelector('openvidu-webcomponent').disconnect());
    const d = await waitWcLog('sessionDisconnected');
    assert.equal(d.reason, 'disconnect');
    assert.equal(await env.wc.page.locator('#main').isVisible(), true);
    await h.rest.waitForConnectionIds(sessionName, [await env.fx.evaluate(() => window.fx.myConnectionId())], { timeoutMs: 10_000 });
});

step('a single token string hides the screen button; boolean inputs are cast like castToBoolean', async () => {
    const p = await h.openPage('single-token', env.srv.url + 'webcomponent.html', { dumpState: wcState });
    await p.page.waitForFunction(() => !!customElements.get('openvidu-webcomponent'), undefined, { timeout: 10_000 });
    const token = (await h.rest.createConnection(sessionName)).token;
    const thrown = await p.evaluate((token) => {
        const wc = document.querySelector('openvidu-webcomponent');
        wc.style.display = 'block';
        let err = null;
        try {
            wc.minimal = 'yes';
        } catch (e) {
            err = e.message;
        }
        wc.prejoin = 'false';
        wc.toolbarFullscreenButton = false;
        wc.toolbarSettingsButton = 'false';
        wc.participantName = 'Single';
        wc.tokens = token;
        return err;
    }, token);
    assert.ok(thrown, 'a non-boolean string throws');
    await waitInPage(p, () => document.querySelector('openvidu-webcomponent').room.phase === 'joined', undefined, { what: 'joined', timeoutMs: 20_000 });
    assert.equal(await p.page.locator(`${WC} ov-toolbar [part~=screen-button]`).isVisible(), false);
    assert.equal(await p.page.locator(`${WC} ov-toolbar [part~=fullscreen-button]`).count(), 0);
    assert.equal(await p.page.locator(`${WC} ov-toolbar [part~=settings-button]`).count(), 0);
    assert.equal(await p.page.locator(`${WC} ov-toolbar [part~=mic-button]`).isVisible(), true);
    await waitFx((e) => e.type === 'connectionCreated' && /"Single"/.test(e.data), 'the single-token participant');
});

step('no page threw an uncaught exception', async () => {
    const errors = h.participants.flatMap((p) => p.log.filter((l) => l.includes('pageerror:')).map((l) => `[${p.name}] ${l}`));
    assert.deepEqual(errors.slice(0, 5), [], `${errors.length} uncaught exceptions`);
}, { independent: true });
