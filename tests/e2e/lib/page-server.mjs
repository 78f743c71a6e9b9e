// Serves the test page (page/index.html and the in-page helpers under
// page/ovtest/) and the openvidu-browser bundle on 127.0.0.1, random port.
//
// `/?sdk=ours` is the same page on our own SDK (sdk/browser/src, served as ES modules
// under /sdk/): the bundle's <script> is replaced by a module that imports the SDK,
// sets window.OpenVidu / window.OpenViduBrowser as the bundle does, then ovtest.ready.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUNDLE_PATH } from './bundle.mjs';

const pageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'page');
const sdkDir = path.resolve(pageDir, '..', '..', '..', 'sdk', 'browser', 'src');

/** The SDKs the test page can run on. */
export const SDKS = ['official', 'ours'];

const BUNDLE_TAGS = '<script src="/openvidu-browser.js"></script>\n' +
    "<script>window.ovtest.ready = typeof window.OpenVidu === 'function';</script>";
const OURS_LOADER = '/ovtest-sdk-ours.mjs';
const OURS_LOADER_SOURCE = [
    "import * as ovb from '/sdk/index.mjs';",
    'window.OpenViduBrowser = ovb;',
    'window.OpenVidu = ovb.OpenVidu;',
    "window.ovtest.ready = typeof window.OpenVidu === 'function';"
].join('\n');

/** index.html on our SDK: module scripts run after the classic ovtest ones, in order. */
async function oursIndex() {
    const html = await readFile(path.join(pageDir, 'index.html'), 'utf8');
    if (!html.includes(BUNDLE_TAGS)) throw new Error('page/index.html no longer loads /openvidu-browser.js as page-server.mjs expects');
    return html.replace(BUNDLE_TAGS, `<script type="module" src="${OURS_LOADER}"></script>`);
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

const FILES = {
    '/': [path.join(pageDir, 'index.html'), HTML],
    '/index.html': [path.join(pageDir, 'index.html'), HTML],
    '/openvidu-browser.js': [BUNDLE_PATH, JS]
};

/** [file, Content-Type] for a request path: the fixed files, or a script page/ovtest/<name>.js. */
function resolve(pathname) {
    if (FILES[pathname]) return FILES[pathname];
    const m = /^\/ovtest\/([a-z][a-z0-9-]*\.js)$/.exec(pathname);
    if (m) return [path.join(pageDir, 'ovtest', m[1]), JS];
    const sdk = /^\/sdk\/([a-z][a-z0-9-]*\.mjs)$/.exec(pathname);
    return sdk ? [path.join(sdkDir, sdk[1]), JS] : undefined;
}

/** @returns {Promise<{url: string, close: () => Promise<void>}>} */
export async function startPageServer() {
    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        const pathname = url.pathname;
        const headers = { 'Cache-Control': 'no-store' };
        try {
            if (pathname === OURS_LOADER) {
                res.writeHead(200, { ...headers, 'Content-Type': JS }).end(OURS_LOADER_SOURCE);
                return;
            }
            if ((pathname === '/' || pathname === '/index.html') && url.searchParams.get('sdk') === 'ours') {
                res.writeHead(200, { ...headers, 'Content-Type': HTML }).end(await oursIndex());
                return;
            }
        } catch (err) {
            res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err));
            return;
        }
        const entry = resolve(pathname);
        if (!entry) {
            res.writeHead(pathname === '/favicon.ico' ? 204 : 404).end();
            return;
        }
        let body;
        try {
            body = await readFile(entry[0]);
        } catch (err) {
            res.writeHead(err.code === 'ENOENT' ? 404 : 500, { 'Content-Type': 'text/plain' }).end(String(err));
            return;
        }
        res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' }).end(body);
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    return {
        url: `http://127.0.0.1:${port}/`,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            })
    };
}
