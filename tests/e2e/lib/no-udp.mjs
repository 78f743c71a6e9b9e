// A Chromium that cannot send any UDP, for the tests of calls through UDP-blocking
// networks (ICE-TCP, TURN over TCP/TLS). Chromium's own flags do not stop WebRTC's UDP
// on loopback (`--force-webrtc-ip-handling-policy` was measured not to), a routing rule
// does, per user (../../shared/e2e/README.md, "A browser that cannot use UDP"):
//
//   ip rule add pref 100 lookup local && ip rule del pref 0       (a rule may run before `local`)
//   ip rule add pref 10 uidrange 1000-1000 ipproto udp prohibit    (uid 1000: every UDP send fails)
//
// and that browser runs as uid 1000 through a `setpriv` wrapper given to Playwright as its
// executable. Node, the server and the other browsers stay root and keep UDP. The rules
// only exist in the test's network namespace (scripts/loopback-netns.sh, as root); this
// module refuses to touch the routing of any other namespace.
//
//   await blockUdpFor(NO_UDP_UID);                 // in the file's setup
//   const browser = await launchNoUdpBrowser();    // then h.participant(name, { browser })

import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { CHROMIUM_BIN, assertLoopbackOnlyNetwork, launchBrowser } from './browser.mjs';

/** The user the no-UDP browser runs as (exists on these machines; any unused uid works). */
export const NO_UDP_UID = 1000;

const RULE_PREF = 10;

function ip(...args) {
    return execFileSync('ip', args, { encoding: 'utf8' });
}

/**
 * Makes every UDP send of `uid` fail (EACCES), in this network namespace only, and checks
 * that it does. Idempotent.
 */
export function blockUdpFor(uid = NO_UDP_UID) {
    assertLoopbackOnlyNetwork();
    if (process.getuid() !== 0) throw new Error('blocking UDP for a user needs root (run inside scripts/loopback-netns.sh)');
    const rules = ip('rule', 'show');
    if (!/^100:\s+from all lookup local/m.test(rules)) ip('rule', 'add', 'pref', '100', 'lookup', 'local');
    if (/^0:\s+from all lookup local/m.test(rules)) ip('rule', 'del', 'pref', '0');
    if (!new RegExp(`^${RULE_PREF}:.*uidrange ${uid}-${uid}`, 'm').test(rules)) {
        ip('rule', 'add', 'pref', String(RULE_PREF), 'uidrange', `${uid}-${uid}`, 'ipproto', 'udp', 'prohibit');
    }
    assertUdpBlocked(uid);
}

/** Throws unless a process of `uid` fails to send a UDP datagram to loopback (and root can). */
export function assertUdpBlocked(uid = NO_UDP_UID) {
    const probe = "require('dgram').createSocket('udp4').send('x', 9, '127.0.0.1', (e) => process.exit(e ? 3 : 0))";
    const run = (asUid) => {
        const prefix = asUid === undefined ? [] : ['setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups'];
        const [cmd, ...args] = [...prefix, process.execPath, '-e', probe];
        try {
            execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
            return 'sent';
        } catch (err) {
            return err.status === 3 ? 'refused' : `failed (${err.message})`;
        }
    };
    const [user, root] = [run(uid), run()];
    if (user !== 'refused' || root !== 'sent') {
        throw new Error(`UDP blocking is not in place: uid ${uid}'s datagram ${user}, root's ${root}`);
    }
}

/**
 * Writes an executable wrapper that runs Chromium as `uid` with its own HOME; resolves
 * {path, home, remove()}. (Its UDP is blocked only if blockUdpFor(uid) was called.)
 */
export async function writeNoUdpWrapper(uid = NO_UDP_UID) {
    const home = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-no-udp-'));
    await chown(home, uid, uid);
    const wrapper = path.join(home, 'chromium-as-' + uid);
    await writeFile(
        wrapper,
        '#!/bin/sh\n' +
            `# Chromium as uid ${uid} (tests/e2e/lib/no-udp.mjs), for routing rules of that user.\n` +
            `export HOME='${home}'\n` +
            `exec setpriv --reuid=${uid} --regid=${uid} --clear-groups '${CHROMIUM_BIN}' "$@"\n`
    );
    await chmod(wrapper, 0o755);
    return { path: wrapper, home, remove: () => rm(home, { recursive: true, force: true }) };
}

/**
 * Launches a Chromium (lib/browser.mjs flags and route guard) as `uid`. Resolves the
 * browser of launchBrowser, whose close() also removes the wrapper.
 */
export async function launchBrowserAs(uid, { extraArgs = [] } = {}) {
    const wrapper = await writeNoUdpWrapper(uid);
    let browser;
    try {
        browser = await launchBrowser({ extraArgs, executablePath: wrapper.path, profileOwner: { uid, gid: uid } });
    } catch (err) {
        await wrapper.remove();
        throw err;
    }
    const close = browser.close;
    browser.close = async () => {
        try {
            await close();
        } finally {
            await wrapper.remove();
        }
    };
    return browser;
}

/** launchBrowserAs(`uid`), after making sure that user cannot send UDP. */
export async function launchNoUdpBrowser({ uid = NO_UDP_UID, extraArgs = [] } = {}) {
    blockUdpFor(uid);
    return launchBrowserAs(uid, { extraArgs });
}
