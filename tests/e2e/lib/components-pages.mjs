// Serves the components (sdk/components/src, unbundled ES modules, exactly as written),
// the official openvidu-browser bundle, the fixture pages of page/components/, and an
// application server with the OpenVidu tutorials' API (POST /api/sessions,
// POST /api/sessions/{id}/connections → token text) in front of the server under test,
// on 127.0.0.1, random port.
//
// The components import the SDK from sdk/browser/src/index.mjs: by default the repository's
// file (our SDK). With `sdk: 'official'` (E2E_COMPONENTS_SDK=official) that path serves
// `export const OpenVidu = globalThis.OpenVidu;`, i.e. the official bundle the page loaded
// with a classic <script> first, so the same elements run on the unmodified openvidu-browser.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUNDLE_PATH } from './bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '..', '..', '..');
const PAGES = path.resolve(here, '..', 'page', 'components');
const OFFICIAL_SHIM = 'export const OpenVidu = globalThis.OpenVidu;\n';

const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** @param {http.IncomingMessage} req */
async function body(req) {
    let s = '';
    for await (const c of req) s += c;
    return s ? JSON.parse(s) : {};
}

/**
 * @param {{rest: import('./rest.mjs').Rest, sdk?: 'official'|'ours'}} o
 * @returns {Promise<{url: string, close: () => Promise<void>, tokens: string[]}>} `tokens`: every token handed out
 */
export async function startComponentsServer({ rest, sdk = process.env.E2E_COMPONENTS_SDK === 'official' ? 'official' : 'ours' }) {
    const tokens = [];
    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        const p = url.pathname;
        const send = (status, text, type = 'text/plain; charset=utf-8') =>
            res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(text);
        try {
            if (req.method === 'POST' && p === '/api/sessions') {
                const { customSessionId } = await body(req);
                const r = await rest.raw('POST', '/sessions', customSessionId ? { customSessionId } : {});
                if (r.status === 200) return send(200, r.json.id);
                if (r.status === 409) return send(200, customSessionId);
                return send(r.status, r.text);
            }
            const m = /^\/api\/sessions\/([^/]+)\/connections$/.exec(p);
            if (req.method === 'POST' && m) {
                const r = await rest.raw('POST', `/sessions/${m[1]}/connection`, await body(req));
                if (r.status !== 200) return send(r.status === 404 ? 404 : r.status, r.text);
                tokens.push(r.json.token);
                return send(200, r.json.token);
            }
            if (p === '/openvidu-browser.js') return send(200, await readFile(BUNDLE_PATH), TYPES['.js']);
            if (p === '/sdk-mode.js') return send(200, `window.__sdkMode = ${JSON.stringify(sdk)};\n`, TYPES['.js']);
            if (p === '/sdk/browser/src/index.mjs' && sdk === 'official') return send(200, OFFICIAL_SHIM, TYPES['.mjs']);
            let file = null;
            const sdkFile = /^\/sdk\/(components|browser)\/src\/([a-z0-9-]+\.mjs)$/.exec(p);
            if (sdkFile) file = path.join(REPO, 'sdk', sdkFile[1], 'src', sdkFile[2]);
            const page = /^\/([a-z0-9-]+\.(html|js))$/.exec(p);
            if (page) file = path.join(PAGES, page[1]);
            if (!file) return send(p === '/favicon.ico' ? 204 : 404, '');
            return send(200, await readFile(file), TYPES[path.extname(file)]);
        } catch (err) {
            send(err.code === 'ENOENT' ? 404 : 500, String(err));
        }
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
    return {
        url: `http://127.0.0.1:${port}/`,
        tokens,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            })
    };
}
