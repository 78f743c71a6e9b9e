// The smallest possible OpenVidu 2 client: it asks the REST API for a token itself (so no
// application server is needed for a try-out; a real app keeps the secret on a server),
// then joins, publishes the camera and shows everybody else.
import { OpenVidu } from 'openvidu-browser';

const form = document.getElementById('join');
const call = document.getElementById('call');
const videos = document.getElementById('videos');
const status = (text) => { document.getElementById('status').textContent = text; };
form.name.value = 'Participant' + Math.floor(Math.random() * 100);

let session;

async function rest(base, secret, path, body) {
  const response = await fetch(`${base}/openvidu/api${path}`, {
    method: 'POST',
    headers: { Authorization: 'Basic ' + btoa('OPENVIDUAPP:' + secret), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response;
}

async function getToken(base, secret, sessionId) {
  const created = await rest(base, secret, '/sessions', { customSessionId: sessionId });
  if (!created.ok && created.status !== 409) throw new Error(`creating the session: HTTP ${created.status}`);
  const connection = await rest(base, secret, `/sessions/${sessionId}/connection`, {});
  if (!connection.ok) throw new Error(`creating a connection: HTTP ${connection.status}`);
  return (await connection.json()).token;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const base = form.url.value.replace(/\/$/, '');
  const OV = new OpenVidu();
  session = OV.initSession();
  session.on('streamCreated', (event) => session.subscribe(event.stream, videos));
  session.on('exception', (ex) => console.warn(ex));
  try {
    const token = await getToken(base, form.secret.value, form.session.value);
    await session.connect(token, { clientData: form.name.value });
    const publisher = await OV.initPublisherAsync(videos, { resolution: '640x480', frameRate: 30, mirror: true });
    await session.publish(publisher);
    form.hidden = true;
    call.hidden = false;
    status(`In session ${form.session.value} as ${form.name.value}. Open this page in another tab to join too.`);
  } catch (error) {
    alert('Could not join: ' + (error.message || JSON.stringify(error)));
  }
});

document.getElementById('leave').addEventListener('click', () => {
  session?.disconnect();
  videos.innerHTML = '';
  call.hidden = true;
  form.hidden = false;
});
window.addEventListener('beforeunload', () => session?.disconnect());
