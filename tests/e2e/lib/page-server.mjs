// Serves the test page (page/index.html and the in-page helpers under
// page/ovtest/) and the openvidu-browser bundle on 127.0.0.1, random port.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUNDLE_PATH } from './bundle.mjs';

const pageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'page');

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
    return m ? [path.join(pageDir, 'ovtest', m[1]), JS] : undefined;
}

/** @returns {Promise<{url: string, close: () => Promise<void>}>} */
export async function startPageServer() {
    const server = http.createServer(async (req, res) => {
        const pathname = new URL(req.url, 'http://127.0.0.1').pathname;
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
