// What every e2e test file uses: one openvidu-rs server, one page server, one
// Chromium, and one page (Participant) per participant; artifacts on failure.
//
//   const h = useHarness('call');            // registers before/after hooks
//   test('...', h.guard(async (t) => { const alice = await h.participant('alice'); ... }));
//
// A file that drives an application's own pages instead of the ovtest page (the React
// tutorial) passes `testPage: false` and opens them with `h.openPage(name, url, …)`.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { buildBundle } from './bundle.mjs';
import { startPageServer, SDKS } from './page-server.mjs';
import { launchBrowser, assertLoopbackOnlyNetwork } from './browser.mjs';
import { Rest } from './rest.mjs';
import { withTimeout, waitFor } from './wait.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS_DIR = path.join(root, 'artifacts');

const EVALUATE_MARGIN_MS = 5_000;

function slug(s) {
    return String(s)
        .replace(/[^a-zA-Z0-9_-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 80);
}

/** `e` has every field of `match` (deep equality for objects). */
export function eventMatcher(match) {
    return (e) => Object.entries(match).every(([k, v]) => (v !== null && typeof v === 'object' ? JSON.stringify(e[k]) === JSON.stringify(v) : e[k] === v));
}

function ts() {
    return new Date().toISOString().slice(11, 23);
}

/** What a test page's ovtest state dump holds (saved with the artifacts of a failure). */
async function ovtestState() {
    return {
        events: window.ovtest.events(),
        sockets: window.ovtest.sockets(),
        stats: await window.ovtest.stats(),
        publisher: await window.ovtest.publisherStats()
    };
}

/**
 * One participant = one page (tab) of the file's browser, with its console log.
 * `dumpState`: a function evaluated in the page for the artifacts of a failure.
 */
export class Participant {
    constructor(page, name, { dumpState = ovtestState } = {}) {
        this.page = page;
        this.name = name;
        this.dumpState = dumpState;
        this.log = [];
        this.connectionId = null;
        this.streamId = null;
        page.on('console', (msg) => this.log.push(`${ts()} console.${msg.type()}: ${msg.text()}`));
        page.on('pageerror', (err) => this.log.push(`${ts()} pageerror: ${err.stack || err.message}`));
        page.on('requestfailed', (req) =>
            this.log.push(`${ts()} requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`)
        );
        page.on('crash', () => this.log.push(`${ts()} PAGE CRASHED`));
    }

    /** page.evaluate has no timeout of its own: always bound it. */
    evaluate(fn, arg, { timeoutMs = 10_000, what = 'page.evaluate' } = {}) {
        return withTimeout(this.page.evaluate(fn, arg), timeoutMs, `[${this.name}] ${what}`);
    }

    /** connect (+ publish camera and microphone); throws a descriptive error on failure. */
    async join({ token, publish = true, audio = true, video = true, timeoutMs = 15_000 } = {}) {
        const r = await this.evaluate((o) => window.ovtest.join(o), { token, name: this.name, publish, audio, video, timeoutMs }, {
            timeoutMs: 2 * timeoutMs + EVALUATE_MARGIN_MS,
            what: 'join'
        });
        this.connectionId = r.connectionId;
        this.streamId = r.streamId;
        return r;
    }

    /** session.connect only; resolves {ok, ...} or {ok:false, stage, timedOut, error, sockets}. */
    async connect({ token, timeoutMs = 15_000 } = {}) {
        const r = await this.evaluate((o) => window.ovtest.connect(o), { token, name: this.name, timeoutMs }, {
            timeoutMs: timeoutMs + EVALUATE_MARGIN_MS,
            what: 'connect'
        });
        if (r.ok) this.connectionId = r.connectionId;
        return r;
    }

    stats() {
        return this.evaluate(() => window.ovtest.stats(), undefined, { what: 'stats' });
    }

    publisherStats() {
        return this.evaluate(() => window.ovtest.publisherStats(), undefined, { what: 'publisherStats' });
    }

    events() {
        return this.evaluate(() => window.ovtest.events(), undefined, { what: 'events' });
    }

    leave() {
        return this.evaluate(() => window.ovtest.leave(), undefined, { what: 'leave' });
    }

    /**
     * Calls `window.ovtest[method](...args)` in the page; bounded by `timeoutMs`
     * (give the page helper's own timeout some margin).
     */
    call(method, args = [], { timeoutMs = 15_000 } = {}) {
        return this.evaluate(([m, a]) => window.ovtest[m](...a), [method, args], { timeoutMs, what: method });
    }

    /** Recorded events matching `match` (an object of fields that must be equal). */
    async eventsMatching(match) {
        return (await this.events()).filter(eventMatcher(match));
    }

    /** Waits for a recorded Session event matching `pred` (an object of fields to match). */
    async waitForEvent(match, { timeoutMs = 10_000 } = {}) {
        const matches = eventMatcher(match);
        return waitFor(async () => (await this.events()).find(matches), {
            timeoutMs,
            what: `[${this.name}] event ${JSON.stringify(match)}`,
            describe: async () => `[${this.name}] events so far: ${JSON.stringify(await this.events())}`
        });
    }

    /** Waits until `count` recorded events match `match`; resolves them. */
    async waitForEvents(match, count, { timeoutMs = 10_000 } = {}) {
        const matches = eventMatcher(match);
        return waitFor(
            async () => {
                const found = (await this.events()).filter(matches);
                return found.length >= count ? found : null;
            },
            {
                timeoutMs,
                what: `[${this.name}] ${count} events ${JSON.stringify(match)}`,
                describe: async () => `[${this.name}] events so far: ${JSON.stringify(await this.events())}`
            }
        );
    }

    async saveArtifacts(dir, prefix) {
        const base = path.join(dir, `${prefix}-${slug(this.name)}`);
        try {
            await withTimeout(this.page.screenshot({ path: `${base}.png`, timeout: 5_000 }), 7_000, 'screenshot');
        } catch (err) {
            this.log.push(`${ts()} (screenshot failed: ${err.message})`);
        }
        let extra = '';
        try {
            const state = await this.evaluate(this.dumpState, undefined, { timeoutMs: 5_000, what: 'state dump' });
            extra = '\n--- page state ---\n' + JSON.stringify(state, null, 2);
        } catch (err) {
            extra = `\n(could not dump ovtest state: ${err.message})`;
        }
        await writeFile(`${base}.log`, this.log.join('\n') + '\n' + extra + '\n');
    }
}

/**
 * Registers before/after hooks that start the server, build the bundle, start
 * the page server and launch Chromium for the calling test file, then run
 * `setup(h)` (the file's own preparation: do not register another root
 * before() hook, Node 20 would run it concurrently with this one). Returns a
 * handle whose fields are set once `before` has run.
 *
 * `serverOptions` and `browserArgs` may be functions of `h` (e.g. a port or a file
 * made first); `testPage: false` skips the bundle and the page server;
 * `saveArtifacts(h, dir, prefix)` adds the file's own artifacts (e.g. another
 * server's log); `teardown(h)` runs after the browser and the server stopped.
 * `sdk` is the SDK of the test pages: 'official' (the openvidu-browser bundle) or 'ours'
 * (sdk/browser); default `E2E_SDK`, else 'official'. One page may differ
 * (`h.participant(name, {sdk})`).
 */
export function useHarness(
    fileName,
    { serverOptions, browserArgs = [], testPage = true, setup, teardown, saveArtifacts, sdk = process.env.E2E_SDK || 'official' } = {}
) {
    if (!SDKS.includes(sdk)) throw new Error(`unknown SDK ${JSON.stringify(sdk)} (E2E_SDK or the sdk option): one of ${SDKS.join(', ')}`);
    const h = {
        fileName,
        sdk,
        server: null,
        rest: null,
        pages: null,
        browser: null,
        participants: [],
        userAgent: null,

        /** A fresh id (sessions of different runs/tests never collide). */
        uniqueId(prefix) {
            return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        },

        /**
         * Opens a page (an unused tab of `browser`, default the file's Chromium, else a new
         * one) on `url`, with `initScripts` run in the page before its own scripts; `dumpState`
         * as for Participant.
         */
        async openPage(name, url, { initScripts = [], dumpState, browser = h.browser } = {}) {
            const unused = browser.context.pages().find((pg) => !h.participants.some((p) => p.page === pg));
            const page = unused ?? (await browser.context.newPage());
            const p = new Participant(page, name, { dumpState });
            h.participants.push(p);
            for (const script of initScripts) await page.addInitScript(script);
            await page.goto(url, { timeout: 15_000 });
            return p;
        },

        /** Creates a session with a fresh id (REST); resolves its id. */
        async newSession(prefix) {
            const sessionId = h.uniqueId(prefix);
            const s = await h.rest.createSession(sessionId);
            assert.equal(s.id, sessionId);
            return sessionId;
        },

        /**
         * Makes a connection of `sessionId` (REST, `role`, server data `data`) and joins `p`
         * with its token (publishing unless `publish: false`; camera only unless `audio`);
         * resolves {conn (the REST Connection), r (what join resolved)}.
         */
        async joinSession(p, sessionId, { role = 'PUBLISHER', data = p.name, publish = true, audio = false, video = true } = {}) {
            const conn = await h.rest.createConnection(sessionId, { role, data });
            const r = await p.join({ token: conn.token, publish, audio, video });
            assert.equal(r.connectionId, conn.connectionId, `[${p.name}] joined as the connection of its token`);
            return { conn, r };
        },

        /**
         * Opens a page for `name` (in `browser`, on `sdk`, as `participant` does), connects
         * it with a new connection of `sessionId` (REST: `role`, server data `name`, the
         * connection's `kurentoOptions`) and publishes with openvidu-browser's
         * `publishOptions` (camera only unless they say otherwise); resolves the page, its
         * `streamId` set.
         */
        async publisher(name, sessionId, publishOptions, { browser, sdk, kurentoOptions, role = 'PUBLISHER' } = {}) {
            const p = await h.participant(name, { browser, sdk });
            const conn = await h.rest.createConnection(sessionId, { role, data: name, ...(kurentoOptions ? { kurentoOptions } : {}) });
            const c = await p.connect({ token: conn.token });
            assert.equal(c.ok, true, `[${name}] connect: ${JSON.stringify(c)}`);
            const r = await p.call('publish', [{ audio: false, video: true, ...publishOptions }], { timeoutMs: 40_000 });
            assert.equal(r.ok, true, `[${name}] publish: ${JSON.stringify(r)}`);
            p.streamId = r.streamId;
            return p;
        },

        /**
         * Opens a new page on the test page (in `browser`, default the file's Chromium, e.g.
         * one from lib/no-udp.mjs) running `sdk` (default the file's); the ovtest helpers
         * are ready when this resolves.
         */
        async participant(name, { browser, sdk: pageSdk = h.sdk } = {}) {
            if (!SDKS.includes(pageSdk)) throw new Error(`unknown SDK ${JSON.stringify(pageSdk)}`);
            const p = await h.openPage(name, pageSdk === 'ours' ? `${h.pages.url}?sdk=ours` : h.pages.url, { browser });
            p.sdk = pageSdk;
            await p.page.waitForFunction(() => window.ovtest && window.ovtest.ready === true, undefined, {
                timeout: 10_000
            });
            return p;
        },

        /** Wraps a test body: on failure saves screenshots, console logs and the server output. */
        guard(fn) {
            return async (t) => {
                try {
                    await fn(t);
                    if (process.env.E2E_ARTIFACTS === 'always') await h.saveArtifacts(t.name);
                } catch (err) {
                    await h.saveArtifacts(t.name).catch((e) => console.error('saving artifacts failed:', e));
                    throw err;
                }
            };
        },

        async saveArtifacts(testName) {
            const dir = path.join(ARTIFACTS_DIR, slug(h.fileName));
            await mkdir(dir, { recursive: true });
            const prefix = slug(testName);
            for (const p of h.participants) {
                if (!p.page.isClosed()) await p.saveArtifacts(dir, prefix);
            }
            if (h.server) await writeFile(path.join(dir, `${prefix}-server.log`), h.server.output());
            if (h.browser?.blocked.length) {
                await writeFile(path.join(dir, `${prefix}-blocked-requests.log`), h.browser.blocked.join('\n') + '\n');
            }
            if (saveArtifacts) await saveArtifacts(h, dir, prefix);
            console.error(`artifacts saved under ${dir} (${prefix}-*)`);
        }
    };

    before(async () => {
        assertLoopbackOnlyNetwork();
        if (testPage) await buildBundle();
        // serverOptions may be computed (e.g. from a port opened by the test file).
        const options = typeof serverOptions === 'function' ? await serverOptions(h) : serverOptions;
        h.server = await startServer(options);
        h.rest = new Rest(h.server);
        if (testPage) h.pages = await startPageServer();
        const extraArgs = typeof browserArgs === 'function' ? await browserArgs(h) : browserArgs;
        h.browser = await launchBrowser({ extraArgs });
        // Node 20 runs several root-level before() hooks of a file concurrently,
        // so a file's own preparation goes here rather than in another before().
        if (setup) await setup(h);
    });

    after(async () => {
        for (const p of testPage ? h.participants : []) {
            if (!p.page.isClosed()) {
                await p.leave().catch(() => {});
            }
        }
        await h.browser?.close().catch((e) => console.error('closing Chromium failed:', e));
        await h.pages?.close();
        await h.server?.stop();
        if (teardown) await teardown(h);
    });

    return h;
}
