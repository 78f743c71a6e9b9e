// Starts and stops one openvidu-rs server for a test file (adapted from
// tests/contract/lib/server.mjs).
//
// The binary is `OPENVIDU_RS_BIN` when set (a path, relative paths are taken
// from the current directory), else `<repo>/target/release/openvidu-rs`
// (build it with `cargo build --release -p ov-server`).
//
// The server listens and advertises 127.0.0.1 only (random free ports for
// HTTP/WebSocket and for WebRTC media). `E2E_SERVER_LOG` sets its log filter
// (default `warn`); its whole output is kept and saved as an artifact when a
// test fails.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// lib/ -> tests/e2e -> tests -> repository root
const DEFAULT_BIN = path.resolve(here, '..', '..', '..', 'target', 'release', 'openvidu-rs');

export const SERVER_BIN = process.env.OPENVIDU_RS_BIN ? path.resolve(process.env.OPENVIDU_RS_BIN) : DEFAULT_BIN;

export const API_USER = 'OPENVIDUAPP';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

// Environment of the child: the server reads OpenVidu's variable names, so
// drop anything that could change its configuration behind our back.
function childEnv(extra = {}) {
    const env = {};
    const configVars = /^(OPENVIDU_|DOMAIN_OR_PUBLIC_IP$|HTTPS_PORT$|SERVER_PORT$|SERVER_ADDRESS$|DOTENV_PATH$|RUST_LOG$)/;
    for (const [key, value] of Object.entries(process.env)) {
        if (!configVars.test(key) && !/_proxy$/i.test(key)) {
            env[key] = value;
        }
    }
    env.OPENVIDU_LOG = process.env.E2E_SERVER_LOG || 'warn';
    return { ...env, ...extra };
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

/**
 * Starts the server and resolves once it printed its listening address.
 *
 * @param {object} [options]
 * @param {string} [options.secret] OPENVIDU_SECRET ([a-zA-Z0-9_-]+)
 * @param {string[]} [options.extraArgs] more command-line options
 * @param {Record<string, string>} [options.env] configuration variables for the server
 *   (e.g. OPENVIDU_WEBHOOK); the caller's own OPENVIDU_* variables are never passed
 * @returns {Promise<{port: number, url: string, apiUrl: string, secret: string,
 *   authHeader: string, output: () => string, stop: () => Promise<void>}>}
 */
export async function startServer({ secret = 'E2E_TEST_SECRET', extraArgs = [], env = {} } = {}) {
    if (!existsSync(SERVER_BIN)) {
        throw new Error(
            `openvidu-rs binary not found at ${SERVER_BIN}: run "cargo build --release -p ov-server" ` +
                'in the repository root, or set OPENVIDU_RS_BIN'
        );
    }
    const args = [
        '--address', '127.0.0.1',
        '--port', '0',
        '--rtc-port', '0',
        '--domain', '127.0.0.1',
        '--secret', secret,
        '--sessions-garbage-interval', '0',
        ...extraArgs
    ];
    const child = spawn(SERVER_BIN, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    runningChildren.add(child);

    let output = '';
    const exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
            runningChildren.delete(child);
            output += `\n[openvidu-rs exited: code ${code}, signal ${signal}]\n`;
            resolve({ code, signal });
        });
    });

    const port = await new Promise((resolve, reject) => {
        let settled = false;
        const finish = (err, value) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            if (err) reject(err);
            else resolve(value);
        };
        child.stdout.on('data', (chunk) => {
            output += chunk.toString();
            const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
            if (m) finish(null, Number(m[1]));
        });
        child.stderr.on('data', (chunk) => {
            output += chunk.toString();
        });
        child.once('error', (err) => finish(err));
        exited.then(({ code, signal }) =>
            finish(new Error(`openvidu-rs exited before listening (code ${code}, signal ${signal}):\n${output}`))
        );
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            finish(new Error(`openvidu-rs did not print its listening address within ${START_TIMEOUT_MS} ms:\n${output}`));
        }, START_TIMEOUT_MS);
    });

    const url = `http://127.0.0.1:${port}`;
    return {
        port,
        pid: child.pid,
        url,
        apiUrl: `${url}/openvidu/api`,
        secret,
        authHeader: 'Basic ' + Buffer.from(`${API_USER}:${secret}`).toString('base64'),
        output: () => output,
        alive: () => child.exitCode === null && child.signalCode === null,
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            await exited;
            clearTimeout(timer);
        }
    };
}
