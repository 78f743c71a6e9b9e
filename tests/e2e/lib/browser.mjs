// Headless Debian Chromium driven by playwright-core (never Playwright's own
// browser downloads). One browser (persistent context in a fresh temporary
// profile) per test file, one page per participant.

import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    // Without it Chromium gathers no loopback ICE candidate and ICE cannot complete on 127.0.0.1.
    '--allow-loopback-in-peer-connection',
    // Background tabs must keep decoding/encoding at full rate: several participants share a browser.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows'
];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True when `url` targets loopback (or is not a network URL at all). */
export function isLoopbackUrl(url) {
    let u;
    try {
        u = new URL(url);
    } catch {
        return false;
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
    return LOOPBACK_HOSTS.has(u.hostname);
}

/**
 * Refuses to run outside a network namespace that has only loopback: in the
 * root namespace Chromium gathers ICE candidates on every interface and would
 * send STUN/RTP from the machine's real address. Never falls back.
 */
export function assertLoopbackOnlyNetwork() {
    const offending = [];
    for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
        for (const a of addrs ?? []) {
            if (!a.internal) offending.push(`${name} ${a.address}`);
        }
    }
    if (offending.length > 0) {
        throw new Error(
            'browser tests must run inside a network namespace that has only loopback, but this one has ' +
                offending.join(', ') +
                '. Run them as: ../../scripts/loopback-netns.sh node --test (from tests/e2e)'
        );
    }
}

/**
 * Launches Chromium. Every HTTP(S) request that is not for 127.0.0.1/localhost
 * is aborted (and listed in `blocked`). `executablePath` replaces the binary (a
 * wrapper, lib/no-udp.mjs); `profileOwner` ({uid, gid}) owns the fresh profile, for
 * a browser that runs as another user.
 */
export async function launchBrowser({ extraArgs = [], executablePath = CHROMIUM_BIN, profileOwner } = {}) {
    assertLoopbackOnlyNetwork();
    if (!existsSync(CHROMIUM_BIN)) {
        throw new Error(`Chromium not found at ${CHROMIUM_BIN}: apt-get install -y chromium (or set CHROMIUM_BIN)`);
    }
    const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-chromium-'));
    if (profileOwner) await chown(userDataDir, profileOwner.uid, profileOwner.gid);
    let context;
    try {
        context = await chromium.launchPersistentContext(userDataDir, {
            executablePath,
            headless: true,
            args: [...CHROMIUM_ARGS, ...extraArgs],
            viewport: { width: 720, height: 540 },
            timeout: 30_000
        });
    } catch (err) {
        await rm(userDataDir, { recursive: true, force: true });
        throw err;
    }
    context.setDefaultTimeout(20_000);
    context.setDefaultNavigationTimeout(20_000);
    const blocked = [];
    await context.route('**/*', (route) => {
        const url = route.request().url();
        if (isLoopbackUrl(url)) {
            return route.continue();
        }
        blocked.push(url);
        return route.abort('blockedbyclient');
    });
    return {
        context,
        blocked,
        async close() {
            let timer;
            try {
                await Promise.race([context.close(), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
            } finally {
                clearTimeout(timer);
                await rm(userDataDir, { recursive: true, force: true });
            }
        }
    };
}
