// Tokens from an application server with the OpenVidu tutorials' API (the brief's
// contract): POST {url}api/sessions {customSessionId} → session id; POST
// {url}api/sessions/{id}/connections {} → token. Both answers are text or a JSON string.

/** @param {Response} res */
async function text(res) {
    const body = await res.text();
    if (!res.ok) throw new Error(`application server answered ${res.status}: ${body.slice(0, 200)}`);
    try {
        const v = JSON.parse(body);
        if (typeof v === 'string') return v;
        if (v && typeof v === 'object') return String(v.token ?? v.id ?? v.sessionId ?? body);
    } catch {
        /* plain text */
    }
    return body.trim();
}

/**
 * A new token of session `sessionId` from the application server at `url`.
 * @param {string} url @param {string} sessionId @returns {Promise<string>}
 */
export async function fetchToken(url, sessionId) {
    const base = url.endsWith('/') ? url : url + '/';
    const post = (path, body) =>
        fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const id = await text(await post('api/sessions', { customSessionId: sessionId }));
    return text(await post(`api/sessions/${encodeURIComponent(id)}/connections`, {}));
}
