// The deployment's dashboard (/dashboard): 401 without the secret; with it, the live
// sessions of a running call pushed by the server (a publisher's bitrate appears without a
// reload, a leave is shown), and the self-test (a loopback call through the server from the
// dashboard page, on our SDK served by the deployment) passes and reports its time to the
// first frame.

import assert from 'node:assert/strict';

import { useHarness } from './lib/harness.mjs';
import { makeSteps } from './lib/steps.mjs';
import { waitFor } from './lib/wait.mjs';

const h = useHarness('dashboard');
const step = makeSteps(h);

const s = { sessionId: null, dashboard: null };

step('without the secret the dashboard answers 401 and asks for it', async () => {
    for (const path of ['/dashboard', '/dashboard/events']) {
        const res = await fetch(`${h.server.url}${path}`);
        assert.equal(res.status, 401, path);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /, path);
    }
});

step('with the secret it shows the live session of a running call, pushed as it changes', async () => {
    s.sessionId = await h.newSession('dash');
    const alice = await h.participant('alice');
    await h.joinSession(alice, s.sessionId, { audio: true, video: true });
    // Its console log goes to the artifacts of a failure, as every participant's.
    const { page } = await h.openPage('dashboard', 'about:blank', { dumpState: () => window.dashboardSelfTest ?? null });
    await page.setExtraHTTPHeaders({ Authorization: h.server.authHeader });
    const res = await page.goto(`${h.server.url}/dashboard`);
    assert.equal(res.status(), 200);
    s.dashboard = page;
    await page.waitForSelector('#feed-state[data-state="live"]', { timeout: 10_000 });
    // The publisher's row gets a bitrate once two samples were taken: pushed, no reload.
    const row = `[data-session="${s.sessionId}"] tr[data-direction="publishes"]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    await page.waitForFunction(
        (sel) => /\d+ kbit\/s/.test(document.querySelector(`${sel} [data-field="bitrate"]`)?.textContent ?? ''),
        row,
        { timeout: 15_000 }
    );
    const kbps = Number((await page.textContent(`${row} [data-field="bitrate"]`)).match(/\d+/)[0]);
    assert.ok(kbps > 20, `a camera publishes more than 20 kbit/s (${kbps})`);
    // alice leaves: her connection (and with the last one, the session) leaves the page.
    await alice.evaluate(() => window.ovtest.leave());
    await page.waitForFunction(
        (id) => !document.querySelector(`[data-session="${id}"] tr[data-direction]`),
        s.sessionId,
        { timeout: 15_000 }
    );
});

step('the self-test runs a loopback call through the server and reports the first frame', async () => {
    const page = s.dashboard;
    await page.click('#selftest-run');
    await page.waitForSelector('#selftest-result[data-outcome]', { timeout: 30_000 });
    const outcome = await page.evaluate(() => window.dashboardSelfTest);
    assert.equal(outcome.ok, true, `self-test: ${JSON.stringify(outcome)}`);
    assert.ok(outcome.firstFrameMs > 0 && outcome.firstFrameMs < 15_000, JSON.stringify(outcome));
    assert.match(await page.textContent('#selftest-result'), /first frame after \d+ ms/);
    // Its session is closed afterwards.
    await waitFor(async () => (await h.rest.raw('GET', `/sessions/${outcome.sessionId}`)).status === 404, {
        timeoutMs: 5_000,
        what: 'the self-test session closed'
    });
});
