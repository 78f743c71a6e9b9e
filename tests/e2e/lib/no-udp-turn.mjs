// A Chromium that cannot send any UDP (../../shared/e2e/README.md, "A browser that cannot
// use UDP"): inside the test's own network namespace, a routing rule prohibits UDP for
// uid 1000, and this browser runs as uid 1000 through a setpriv wrapper given to
// Playwright as its executable. Everything else (server, Node, the other pages) stays
// root and keeps UDP. Used by turn.test.mjs; the ICE-TCP test has its own (lib/no-udp.mjs),
// to be unified.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { CHROMIUM_BIN, assertLoopbackOnlyNetwork, launchBrowser } from './browser.mjs';

/** The uid (and gid) the UDP-less browser runs as. */
export const NO_UDP_UID = 1000;

/**
 * Installs the rule: uid NO_UDP_UID may not send UDP (every send fails with EACCES).
 * Only inside a loopback-only namespace (checked first): the rules die with it.
 */
export function prohibitUdpForUid(uid = NO_UDP_UID) {
    assertLoopbackOnlyNetwork();
    const rules = execFileSync('ip', ['rule', 'show'], { encoding: 'utf8' });
    // Let a rule run before `local`: move `local` from pref 0 to 100 (once per namespace).
    if (/^0:\s.*lookup local/m.test(rules)) {
        execFileSync('ip', ['rule', 'add', 'pref', '100', 'lookup', 'local']);
        execFileSync('ip', ['rule', 'del', 'pref', '0']);
    }
    if (!rules.includes(`uidrange ${uid}-${uid} ipproto udp prohibit`)) {
        execFileSync('ip', ['rule', 'add', 'pref', '10', 'uidrange', `${uid}-${uid}`, 'ipproto', 'udp', 'prohibit']);
    }
}

/** Removes the rule of prohibitUdpForUid (other test files share the namespace). */
export function allowUdpForUid(uid = NO_UDP_UID) {
    assertLoopbackOnlyNetwork();
    const rules = execFileSync('ip', ['rule', 'show'], { encoding: 'utf8' });
    if (rules.includes(`uidrange ${uid}-${uid} ipproto udp prohibit`)) {
        execFileSync('ip', ['rule', 'del', 'pref', '10', 'uidrange', `${uid}-${uid}`, 'ipproto', 'udp', 'prohibit']);
    }
}

/**
 * What happens when uid `uid` sends a UDP datagram to 127.0.0.1 (a Node child run through
 * setpriv): `sent`, or `blocked <code>`; the test checks the rule holds (`blocked EACCES`)
 * before it proves anything with it.
 */
export function udpSendAsUid(uid = NO_UDP_UID) {
    const script =
        "const s=require('dgram').createSocket('udp4');" +
        "s.send('x',9,'127.0.0.1',(e)=>{process.stdout.write(e?'blocked '+e.code:'sent');s.close();});";
    const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e', script], {
        encoding: 'utf8',
        timeout: 10_000
    });
    return r.stdout.trim() || `no answer (${r.error?.message ?? r.stderr.trim()})`;
}

/**
 * Launches Chromium as `uid` (lib/browser.mjs's launch: same flags, same loopback-only
 * route guard). Resolves {context, blocked, close()}.
 */
export async function launchNoUdpBrowser({ uid = NO_UDP_UID, extraArgs = [] } = {}) {
    assertLoopbackOnlyNetwork();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-no-udp-'));
    const home = path.join(dir, 'home');
    const profile = path.join(dir, 'profile');
    const wrapper = path.join(dir, 'chromium-as-uid.sh');
    for (const d of [home, profile]) {
        await mkdir(d, { recursive: true });
        await chown(d, uid, uid);
    }
    await chmod(dir, 0o755);
    await writeFile(
        wrapper,
        `#!/bin/sh\nexport HOME=${home}\nexec setpriv --reuid=${uid} --regid=${uid} --clear-groups ${CHROMIUM_BIN} "$@"\n`
    );
    await chmod(wrapper, 0o755);
    try {
        const browser = await launchBrowser({ executablePath: wrapper, userDataDir: profile, extraArgs });
        return {
            ...browser,
            async close() {
                try {
                    await browser.close();
                } finally {
                    await rm(dir, { recursive: true, force: true });
                }
            }
        };
    } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
    }
}

/**
 * In the page: for every live peer connection of ovtest (publisher and subscribers), the
 * local candidate of its selected pair ({candidateType, protocol, relayProtocol}) and the
 * TURN URL it came from.
 */
export async function selectedLocalCandidates() {
    const { state } = window.__ovtest;
    const pcs = [];
    if (state.publisher?.stream) pcs.push(['publisher', state.publisher.stream.getRTCPeerConnection()]);
    for (const [id, s] of state.subscribers) if (!s.destroyed) pcs.push([id, s.stream.getRTCPeerConnection()]);
    const out = [];
    for (const [id, pc] of pcs) {
        if (!pc) continue;
        const stats = await pc.getStats();
        let pairId = null;
        stats.forEach((r) => {
            if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
        });
        const pair = pairId && stats.get(pairId);
        const local = pair && stats.get(pair.localCandidateId);
        out.push({
            id,
            iceConnectionState: pc.iceConnectionState,
            candidateType: local?.candidateType ?? null,
            protocol: local?.protocol ?? null,
            relayProtocol: local?.relayProtocol ?? null,
            url: local?.url ?? null
        });
    }
    return out;
}
