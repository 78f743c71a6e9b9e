// Starts and stops one openvidu-rs server for a test file
// (../../shared/openvidu-server.mjs, ../../shared/child-server.mjs).
//
// The binary is `OPENVIDU_RS_BIN` when set (a path, relative paths are taken
// from the current directory), else `<repo>/target/release/openvidu-rs`
// (build it with `cargo build --release -p ov-server`).
//
// The server only listens on loopback (127.0.0.1, random free ports) and all
// the requests made by the tests go to 127.0.0.1.

import { API_USER, OPENVIDU_RS, startOpenViduServer } from '../../shared/openvidu-server.mjs';
import { waitFor as pollUntil } from '../../shared/wait.mjs';

export { API_USER };
export const SERVER_BIN = OPENVIDU_RS.path;

// Keep every HTTP request of this process on loopback: axios (used by
// openvidu-node-client) honours the *_PROXY variables, so drop them.
for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) {
    delete process.env[name];
}
process.env.NO_PROXY = process.env.no_proxy = '127.0.0.1,localhost';

/**
 * Starts the server and resolves once it printed its listening address.
 *
 * @param {object} [options]
 * @param {string} [options.secret] OPENVIDU_SECRET ([a-zA-Z0-9_-]+)
 * @param {string[]} [options.extraArgs] more command-line options
 * @param {Record<string, string>} [options.env] configuration variables for the server
 *   (e.g. OPENVIDU_RECORDING); the caller's own OPENVIDU_* variables are never passed
 * @returns {Promise<{port: number, url: string, apiUrl: string, secret: string,
 *   authHeader: string, output: () => string, stop: () => Promise<void>}>}
 */
export async function startServer({ secret = 'CONTRACT_TEST_SECRET', extraArgs = [], env = {} } = {}) {
    return startOpenViduServer({ secret, extraArgs, env, log: 'warn' });
}

/**
 * Polls `fn` (every 25 ms unless `intervalMs` says otherwise) until it returns a truthy
 * value (which is returned) or the timeout expires (then an error naming `what` and the
 * last error is thrown).
 */
export function waitFor(fn, options = {}) {
    return pollUntil(fn, { intervalMs: 25, ...options });
}
