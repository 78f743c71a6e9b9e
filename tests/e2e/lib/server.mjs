// Starts and stops one openvidu-rs server for a test file
// (../../shared/openvidu-server.mjs, ../../shared/child-server.mjs).
//
// The binary is `OPENVIDU_RS_BIN` when set (a path, relative paths are taken
// from the current directory), else `<repo>/target/release/openvidu-rs`
// (build it with `cargo build --release -p ov-server`).
//
// The server listens and advertises 127.0.0.1 only (random free ports for
// HTTP/WebSocket and for WebRTC media). `E2E_SERVER_LOG` sets its log filter
// (default `warn`); its whole output is kept and saved as an artifact when a
// test fails.

import { API_USER, OPENVIDU_RS, startOpenViduServer } from '../../shared/openvidu-server.mjs';

export { API_USER };
export const SERVER_BIN = OPENVIDU_RS.path;

/**
 * Starts the server and resolves once it printed its listening address.
 *
 * @param {object} [options]
 * @param {string} [options.secret] OPENVIDU_SECRET ([a-zA-Z0-9_-]+)
 * @param {string[]} [options.extraArgs] more command-line options
 * @param {Record<string, string>} [options.env] configuration variables for the server
 *   (e.g. OPENVIDU_WEBHOOK); the caller's own OPENVIDU_* variables are never passed
 * @returns {Promise<{port: number, pid: number, url: string, apiUrl: string, secret: string,
 *   authHeader: string, output: () => string, alive: () => boolean, stop: () => Promise<void>}>}
 */
export async function startServer({ secret = 'E2E_TEST_SECRET', extraArgs = [], env = {} } = {}) {
    return startOpenViduServer({ secret, extraArgs, env, log: process.env.E2E_SERVER_LOG || 'warn' });
}
