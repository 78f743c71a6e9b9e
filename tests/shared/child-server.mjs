// Server binaries of the workspace run as child processes of a Node test suite
// (tests/contract, tests/e2e): spawned with an environment cleaned of the caller's
// configuration, awaited until they print `listening on <host>:<port>`, stopped with
// SIGTERM then SIGKILL, and killed when the test process exits.
//
// Node built-ins only: each suite imports this file by its relative path.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// tests/shared -> tests -> repository root
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** `listening on <host>:<port>`, optionally `http(s)://`; an IPv6 host in brackets. */
export const LISTENING_LINE = /listening on (?:https?:\/\/)?(\[[^\]]*\]|[^\s:/]+):(\d+)/;

// eslint-disable-next-line no-control-regex
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/**
 * A binary of the workspace: `process.env[envVar]` when set (relative paths are taken from
 * the current directory), else `<repo>/target/release/<file>`, which
 * `cargo build --release -p <cargoPackage>` builds.
 */
export function workspaceBinary({ file, envVar, cargoPackage, label = `${file} binary` }) {
    const fromEnv = process.env[envVar];
    return {
        path: fromEnv ? path.resolve(fromEnv) : path.join(REPO_ROOT, 'target', 'release', file),
        envVar,
        cargoPackage,
        label
    };
}

/**
 * The environment for a child: this process's, without the `OPENVIDU_*` variables, the
 * `*_proxy` ones (any case) and the names in `drop` (what configures the child must come
 * from the test only), with `set` on top.
 */
export function childEnv({ drop = [], set = {} } = {}) {
    const env = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (!key.startsWith('OPENVIDU_') && !/_proxy$/i.test(key) && !drop.includes(key)) {
            env[key] = value;
        }
    }
    return { ...env, ...set };
}

const runningChildren = new Set();
process.on('exit', () => {
    for (const child of runningChildren) {
        try {
            child.kill('SIGKILL');
        } catch {
            // already gone
        }
    }
});

/** Registers `child` to be killed (SIGKILL) if it still runs when this process exits. */
export function killOnExit(child) {
    runningChildren.add(child);
    child.once('exit', () => runningChildren.delete(child));
    return child;
}

/**
 * Starts `binary` (from workspaceBinary()) with `args` and `env` and resolves once its
 * stdout matched `listening` (groups 1 and 2: host and port; ANSI colours are ignored).
 * stdout and stderr are both kept in `output()`, with a last line when the child exits,
 * and quoted by every error. Rejects when the binary is missing, cannot start, exits
 * first, or has not printed its address within `startTimeoutMs` (it is then killed).
 *
 * @returns {Promise<{host: string, port: number, pid: number, output: () => string,
 *   alive: () => boolean, stop: () => Promise<void>}>} `stop()`: SIGTERM, SIGKILL after
 *   `stopTimeoutMs`, resolves once the child exited
 */
export async function startChildServer({
    name,
    binary,
    args = [],
    env,
    listening = LISTENING_LINE,
    startTimeoutMs = START_TIMEOUT_MS,
    stopTimeoutMs = STOP_TIMEOUT_MS
}) {
    if (!existsSync(binary.path)) {
        throw new Error(
            `${binary.label} not found at ${binary.path}: run "cargo build --release -p ${binary.cargoPackage}" ` +
                `in the repository root, or set ${binary.envVar}`
        );
    }
    const child = killOnExit(spawn(binary.path, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');

    let output = '';
    let stdout = '';
    const alive = () => child.exitCode === null && child.signalCode === null;
    const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
            output += `\n[${name} exited: code ${code}, signal ${signal}]\n`;
            resolve({ code, signal });
        });
    });
    child.stderr.on('data', (chunk) => {
        output += chunk;
    });

    const { host, port } = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`${name} did not print its listening address within ${startTimeoutMs} ms:\n${output}`));
        }, startTimeoutMs);
        const finish = (err, value) => {
            clearTimeout(timer);
            if (err) reject(err);
            else resolve(value);
        };
        child.stdout.on('data', (chunk) => {
            output += chunk;
            if (stdout === null) return; // address already found
            stdout += chunk;
            const m = listening.exec(stripAnsi(stdout));
            if (m) {
                stdout = null;
                finish(null, { host: m[1], port: Number(m[2]) });
            }
        });
        child.once('error', (err) => finish(err));
        exited.then(({ code, signal }) =>
            finish(new Error(`${name} exited before listening (code ${code}, signal ${signal}):\n${output}`))
        );
    });

    return {
        host,
        port,
        pid: child.pid,
        output: () => output,
        alive,
        async stop() {
            if (!alive()) return;
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
            await exited;
            clearTimeout(timer);
        }
    };
}
