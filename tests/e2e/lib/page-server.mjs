// Serves the test page (page/index.html + page/ovtest.js) and the
// openvidu-browser bundle on 127.0.0.1, random port.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUNDLE_PATH } from './bundle.mjs';

const pageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'page');

const FILES = {
    '/': [path.join(pageDir, 'index.html'), 'text/html; charset=utf-8'],
    '/index.html': [path.join(pageDir, 'index.html'), 'text/html; charset=utf-8'],
    '/ovtest.js': [path.join(pageDir, 'ovtest.js'), 'text/javascript; charset=utf-8'],
    '/openvidu-browser.js': [BUNDLE_PATH, 'text/javascript; charset=utf-8']
};

/** @returns {Promise<{url: string, close: () => Promise<void>}>} */
export async function startPageServer() {
    const server = http.createServer(async (req, res) => {
        const pathname = new URL(req.url, 'http://127.0.0.1').pathname;
        const entry = FILES[pathname];
        if (!entry) {
            res.writeHead(pathname === '/favicon.ico' ? 204 : 404).end();
            return;
        }
        try {
            const body = await readFile(entry[0]);
            res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' }).end(body);
        } catch (err) {
            res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err));
        }
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
