// Tokens come from the application server (apps/app-server), never from the OpenVidu
// deployment directly: only the application server knows the deployment's secret.
//
// Where the application server is:
// - VITE_APPLICATION_SERVER_URL, when set at build/dev time (must end with '/');
// - else, in the production build (`npm run build`), '' = the origin the page came from:
//   the application server serves dist/ itself;
// - else (`npm run dev`), http://localhost:5000/, the application server's default port.
export const APPLICATION_SERVER_URL =
  import.meta.env.VITE_APPLICATION_SERVER_URL ?? (import.meta.env.PROD ? '' : 'http://localhost:5000/');

async function post(path, body) {
  const response = await fetch(APPLICATION_SERVER_URL + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`POST ${APPLICATION_SERVER_URL}${path} answered HTTP ${response.status}: ${text}`);
  }
  return text;
}

/** Asks the application server for the session `sessionId` (created if it is new); resolves its id. */
export function createSession(sessionId) {
  return post('api/sessions', { customSessionId: sessionId });
}

/** Asks the application server for a new connection to `sessionId`; resolves its token. */
export function createToken(sessionId) {
  return post(`api/sessions/${encodeURIComponent(sessionId)}/connections`, {});
}

export async function getToken(sessionId) {
  const id = await createSession(sessionId);
  return createToken(id);
}
