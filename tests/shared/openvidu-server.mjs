// One openvidu-rs server for a test file of a Node suite (tests/contract, tests/e2e).
//
// The binary is `OPENVIDU_RS_BIN` when set (a path, relative paths are taken from the
// current directory), else `<repo>/target/release/openvidu-rs` (build it with
// `cargo build --release -p ov-server`).
//
// The server listens and advertises 127.0.0.1 only (random free ports for HTTP/WebSocket
// and for WebRTC media), and none of the caller's configuration variables reach it.

import { childEnv, startChildServer, workspaceBinary } from './child-server.mjs';

export const OPENVIDU_RS = workspaceBinary({ file: 'openvidu-rs', envVar: 'OPENVIDU_RS_BIN', cargoPackage: 'ov-server' });

export const API_USER = 'OPENVIDUAPP';

// Besides OPENVIDU_*, the variables the server reads its configuration from.
const SERVER_CONFIG_VARS = ['DOMAIN_OR_PUBLIC_IP', 'HTTPS_PORT', 'SERVER_PORT', 'SERVER_ADDRESS', 'DOTENV_PATH', 'RUST_LOG'];

/**
 * Starts the server and resolves once it printed its listening address.
 *
 * @param {object} options
 * @param {string} options.secret OPENVIDU_SECRET ([a-zA-Z0-9_-]+)
 * @param {string[]} [options.extraArgs] more command-line options
 * @param {Record<string, string>} [options.env] configuration variables for the server
 *   (e.g. OPENVIDU_WEBHOOK); the caller's own OPENVIDU_* variables are never passed
 * @param {string} [options.log] its log filter (OPENVIDU_LOG)
 * @returns {Promise<{port: number, pid: number, url: string, apiUrl: string, secret: string,
 *   authHeader: string, output: () => string, alive: () => boolean, stop: () => Promise<void>}>}
 */
export async function startOpenViduServer({ secret, extraArgs = [], env = {}, log = 'warn' }) {
    const args = [
        '--address', '127.0.0.1',
        '--port', '0',
        // A test that needs a known media port gives its own --rtc-port.
        ...(extraArgs.includes('--rtc-port') ? [] : ['--rtc-port', '0']),
        '--domain', '127.0.0.1',
        '--secret', secret,
        '--sessions-garbage-interval', '0',
        ...extraArgs
    ];
    const { port, pid, output, alive, stop } = await startChildServer({
        name: 'openvidu-rs',
        binary: OPENVIDU_RS,
        args,
        env: childEnv({ drop: SERVER_CONFIG_VARS, set: { OPENVIDU_LOG: log, ...env } }),
        listening: /listening on (127\.0\.0\.1):(\d+)/
    });
    const url = `http://127.0.0.1:${port}`;
    return {
        port,
        pid,
        url,
        apiUrl: `${url}/openvidu/api`,
        secret,
        authHeader: 'Basic ' + Buffer.from(`${API_USER}:${secret}`).toString('base64'),
        output,
        alive,
        stop
    };
}
