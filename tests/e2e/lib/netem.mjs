// One participant behind a slow link (../../shared/e2e/README.md, "Putting one browser
// behind a slow link"): the server advertises two addresses, 127.0.0.1 and 127.0.0.2
// (its media socket is 127.0.0.1:<port>); the workspace's openvidu-netem relay
// (crates/ov-netem, str0m-netem) listens on 127.0.0.2:<port> and forwards to the server,
// shaping each direction; two routing rules make the shaped participant's Chromium (run
// as SHAPED_UID) reach the media port only through the relay, and every root process
// (Node, the server, the other browsers) only directly:
//
//   ip rule add pref 20 uidrange 1001-1001 to 127.0.0.1 ipproto udp dport <port> prohibit
//   ip rule add pref 21 uidrange 0-0 to 127.0.0.2 ipproto udp dport <port> prohibit
//
// ICE then pairs that browser with 127.0.0.2 and the others with 127.0.0.1. The rules exist
// in the test's network namespace only (scripts/loopback-netns.sh) and are removed after.
// ICE-TCP and TURN must be off on that server, or the shaped browser could go round the
// relay.
//
//   const h = useHarness('name', relayHarnessOptions(s, { relay: { downKbps: 300 } }));
//   h.participant('bob', { browser: s.shaped });            // bob goes through the relay
//   await s.relay.command('down rate off');
//
// or by hand: freeUdpPort() for --rtc-port, routeThroughRelay(port), startRelay({port}),
// launchShapedBrowser().

import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';

import { workspaceBinary } from '../../shared/child-server.mjs';
import { assertLoopbackOnlyNetwork } from './browser.mjs';
import { launchBrowserAs } from './no-udp.mjs';

/** The user the shaped browser runs as (not lib/no-udp.mjs's, whose UDP may be blocked). */
export const SHAPED_UID = 1001;

export const NETEM = workspaceBinary({ file: 'openvidu-netem', envVar: 'OPENVIDU_NETEM_BIN', cargoPackage: 'ov-netem' });

/** A UDP port free on 127.0.0.1 and 127.0.0.2 (for the server's media and the relay). */
export async function freeUdpPort() {
    for (;;) {
        const port = await new Promise((resolve, reject) => {
            const sock = dgram.createSocket('udp4');
            sock.on('error', reject);
            sock.bind(0, '127.0.0.1', () => {
                const p = sock.address().port;
                sock.close(() => resolve(p));
            });
        });
        const freeOnSecond = await new Promise((resolve) => {
            const sock = dgram.createSocket('udp4');
            sock.on('error', () => resolve(false));
            sock.bind(port, '127.0.0.2', () => sock.close(() => resolve(true)));
        });
        if (freeOnSecond) return port;
    }
}

function ip(...args) {
    return execFileSync('ip', args, { encoding: 'utf8' });
}

/** Adds the two routing rules above for media `port`; returns {remove()}. */
export function routeThroughRelay(port, uid = SHAPED_UID) {
    assertLoopbackOnlyNetwork();
    if (process.getuid() !== 0) throw new Error('routing rules need root (run inside scripts/loopback-netns.sh)');
    const rules = ip('rule', 'show');
    if (!/^100:\s+from all lookup local/m.test(rules)) ip('rule', 'add', 'pref', '100', 'lookup', 'local');
    if (/^0:\s+from all lookup local/m.test(rules)) ip('rule', 'del', 'pref', '0');
    const mine = [
        ['pref', '20', 'uidrange', `${uid}-${uid}`, 'to', '127.0.0.1', 'ipproto', 'udp', 'dport', String(port), 'prohibit'],
        ['pref', '21', 'uidrange', '0-0', 'to', '127.0.0.2', 'ipproto', 'udp', 'dport', String(port), 'prohibit']
    ];
    for (const rule of mine) ip('rule', 'add', ...rule);
    return {
        remove() {
            for (const rule of mine) {
                try {
                    ip('rule', 'del', ...rule);
                } catch {
                    // already gone
                }
            }
        }
    };
}

/**
 * Starts the relay on 127.0.0.2:`port` towards the server's 127.0.0.1:`port`, with a
 * bottleneck of `downKbps` from the server to the participant (none when undefined).
 * Resolves {command(line) → Promise<reply line>, stop()}.
 */
export async function startRelay({ port, downKbps, bufferMs = 300 }) {
    const args = ['--listen', `127.0.0.2:${port}`, '--forward', `127.0.0.1:${port}`, '--buffer-ms', String(bufferMs)];
    if (downKbps !== undefined) args.push('--down-kbps', String(downKbps));
    const child = spawn(NETEM.path, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    const waiting = [];
    lines.on('line', (line) => waiting.shift()?.(line));
    const next = () => new Promise((resolve) => waiting.push(resolve));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const first = await Promise.race([next(), exited.then((code) => `exited ${code}`)]);
    if (!first.startsWith('listening ')) {
        throw new Error(`${NETEM.path} did not start (${first}); build it with cargo build --release -p ${NETEM.cargoPackage}`);
    }
    return {
        async command(line) {
            const reply = next();
            child.stdin.write(line + '\n');
            const r = await reply;
            if (r !== 'ok') throw new Error(`relay command ${JSON.stringify(line)}: ${r}`);
            return r;
        },
        async stop() {
            child.stdin.end();
            await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
            child.kill('SIGKILL');
        }
    };
}

/** A Chromium (lib/browser.mjs flags) running as `uid`; its close() also removes its wrapper. */
export function launchShapedBrowser({ uid = SHAPED_UID, extraArgs = [] } = {}) {
    return launchBrowserAs(uid, { extraArgs });
}

/**
 * `useHarness` options for a file with one participant behind the relay: the server
 * announces the relay's address too, with ICE-TCP and TURN off (or the shaped browser
 * could go round the relay) and `env`; before the first step `state` gets the relay
 * (`startRelay` with `relay`) as `state.relay` and the shaped browser as `state.shaped`,
 * then `setup` runs; after the last, all of it is undone.
 */
export function relayHarnessOptions(state, { env = {}, relay = {}, setup = async () => {} } = {}) {
    return {
        serverOptions: async () => {
            state.port = await freeUdpPort();
            return {
                extraArgs: ['--rtc-port', String(state.port)],
                env: { OPENVIDU_RTC_ADVERTISED_IPS: '127.0.0.1,127.0.0.2', OPENVIDU_RTC_TCP: 'false', OPENVIDU_TURN: 'false', ...env }
            };
        },
        setup: async () => {
            state.route = routeThroughRelay(state.port);
            state.relay = await startRelay({ port: state.port, ...relay });
            state.shaped = await launchShapedBrowser();
            await setup();
        },
        teardown: async () => {
            await state.shaped?.close();
            await state.relay?.stop();
            state.route?.remove();
        }
    };
}
