// The call page served at `/` in development mode. It only composes `<openvidu-call>`
// (from the components bundle of this deployment) with a room form and the room's link:
//   /            — type a room and your name, and you are in;
//   /?room=name  — the shareable link: your name and a Join button, then the call.
// Tokens come from the deployment's development API (`/openvidu/dev/`), so nothing else
// needs to run, and nothing is fetched from anywhere but this server.

const COMPONENTS = '/openvidu/components/openvidu-components.mjs';
const APP_SERVER = '/openvidu/dev/';
/** Where the official web component keeps the nickname too, so both remember it. */
const NAME_KEY = 'openviduCallNickname';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * A session id OpenVidu accepts ([a-zA-Z0-9_-]+) from what a person typed.
 * @param {string} text
 * @returns {string}
 */
export function roomId(text) {
  return text.trim().replace(/\s+/g, '-').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 100);
}

/** @returns {string} */
function randomRoom() {
  const letters = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return 'room-' + Array.from(bytes, (b) => letters[b % letters.length]).join('');
}

/** @param {string} message */
function showError(message) {
  const error = $('error');
  error.textContent = message;
  error.hidden = false;
}

function savedName() {
  try { return localStorage.getItem(NAME_KEY) || ''; } catch { return ''; }
}

/** @param {string} name */
function saveName(name) {
  try { localStorage.setItem(NAME_KEY, name); } catch { /* private mode: not remembered */ }
}

/** @param {string} room */
function roomLink(room) {
  return `${location.origin}/?room=${encodeURIComponent(room)}`;
}

/** Loads the components once; a missing bundle is said on the page, not only in the console. */
let components;
function loadComponents() {
  components ??= import(COMPONENTS).catch((e) => {
    showError(`The components could not be loaded from ${COMPONENTS}: ${e.message}`);
    throw e;
  });
  return components;
}

/** @param {'home' | 'prejoin' | 'call'} view */
function show(view) {
  for (const id of ['home', 'prejoin', 'call']) $(id).hidden = id !== view;
}

/**
 * Enters the call of `room` as `name`.
 * @param {string} room
 * @param {string} name
 */
async function join(room, name) {
  saveName(name);
  if (new URLSearchParams(location.search).get('room') !== room) {
    history.pushState(null, '', `/?room=${encodeURIComponent(room)}`);
  }
  document.title = `${room} · openvidu-rs call`;
  $('call-room').textContent = room;
  $('error').hidden = true;
  show('call');
  await loadComponents();
  const call = document.createElement('openvidu-call');
  call.setAttribute('session', room);
  call.setAttribute('app-server', APP_SERVER);
  call.setAttribute('participant-name', name);
  // This page is the pre-join step: the element joins at once.
  call.setAttribute('prejoin', 'false');
  call.addEventListener('ov-left', (/** @type {any} */ e) => {
    const reason = e.detail?.reason;
    leave(room, !reason || reason === 'disconnect' ? 'You left the room.' : `The call ended (${reason}).`);
  });
  call.addEventListener('ov-error', (/** @type {any} */ e) => {
    showError(`The call failed: ${e.detail?.message ?? e.detail ?? 'unknown error'}`);
  });
  $('call-slot').replaceChildren(call);
}

/**
 * Back to the pre-join step of `room`, ready to rejoin.
 * @param {string} room
 * @param {string} message
 */
function leave(room, message) {
  $('call-slot').replaceChildren();
  prejoin(room, message);
}

/**
 * @param {string} room
 * @param {string} [message]
 */
function prejoin(room, message) {
  document.title = `${room} · openvidu-rs call`;
  $('prejoin-room').textContent = room;
  $('prejoin-message').textContent = message ?? 'You are about to join this room.';
  /** @type {HTMLInputElement} */ ($('prejoin-name')).value ||= savedName();
  show('prejoin');
  $('prejoin-name').focus();
}

function home() {
  document.title = 'openvidu-rs call';
  /** @type {HTMLInputElement} */ ($('start-name')).value ||= savedName();
  show('home');
  $('start-room').focus();
}

/** Shows what the address says; the components load meanwhile, so Join does not wait. */
function route() {
  loadComponents().catch(() => {});
  $('call-slot').replaceChildren();
  const raw = new URLSearchParams(location.search).get('room');
  const room = raw === null ? '' : roomId(raw);
  if (room) prejoin(room);
  else home();
}

$('start-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.target);
  const data = new FormData(form);
  const room = roomId(String(data.get('room') ?? '')) || randomRoom();
  join(room, String(data.get('name') ?? '').trim());
});

$('prejoin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const room = roomId(new URLSearchParams(location.search).get('room') ?? '');
  join(room, /** @type {HTMLInputElement} */ ($('prejoin-name')).value.trim());
});

$('copy-link').addEventListener('click', async () => {
  const link = roomLink($('call-room').textContent ?? '');
  const label = /** @type {HTMLElement} */ ($('copy-link').querySelector('span'));
  try {
    await navigator.clipboard.writeText(link);
    label.textContent = 'Copied';
  } catch {
    // No clipboard (insecure origin): show the link so it can be copied by hand.
    window.prompt('The link of this room:', link);
  }
  setTimeout(() => { label.textContent = 'Copy link'; }, 2000);
});

window.addEventListener('popstate', route);
route();
loadComponents().catch(() => {});
