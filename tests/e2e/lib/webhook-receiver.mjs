// A tiny webhook endpoint on 127.0.0.1 (random port): records every request
// (method, path, headers, body) and answers 200.

import http from 'node:http';

import { waitFor } from './wait.mjs';

export async function startWebhookReceiver({ path = '/hook' } = {}) {
    const requests = [];
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            let json;
            try {
                json = JSON.parse(body);
            } catch {
                json = undefined;
            }
            requests.push({ at: Date.now(), method: req.method, url: req.url, headers: req.headers, body, json });
            res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        });
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address();
    return {
        url: `http://127.0.0.1:${port}${path}`,
        requests,
        /** Bodies (parsed) of the requests received so far. */
        events: () => requests.map((r) => r.json),
        /** Waits until `pred(events)` is truthy; resolves its value. */
        waitFor(pred, { timeoutMs = 10_000, what = 'webhook events' } = {}) {
            return waitFor(() => pred(requests.map((r) => r.json)), {
                timeoutMs,
                what,
                describe: async () =>
                    `webhook events so far: ${JSON.stringify(requests.map((r) => r.json?.event ?? r.body.slice(0, 100)))}`
            });
        },
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections?.();
                server.close(() => resolve());
            })
    };
}
