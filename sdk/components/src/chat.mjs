// <ov-chat>: OpenVidu's chat (signal "chat", data {message, nickname}, to everyone; our
// own messages appear through the server's echo), so it talks with the official 2.32 web
// component in the same session. Shown while the room's panel is "chat", or always with
// the `open` attribute.

import { OvElement, shadow, sheet, esc, $ } from './dom.mjs';
import { BASE } from './theme.mjs';
import { ICONS } from './icons.mjs';

const STYLE = sheet(`
:host { display: flex; flex-direction: column; min-height: 0; background: var(--_panel-bg); color: var(--_panel-text);
  border-radius: var(--_panel-radius); }
h2 { font-size: 1.05em; margin: 10px 12px; }
.list { flex: 1; overflow-y: auto; margin: 0; padding: 0 12px; list-style: none; min-height: 60px; }
.msg { margin: 6px 0; }
.msg .who { font-size: .8em; opacity: .7; }
.msg .text { background: var(--_light); border-radius: 8px; padding: 6px 10px; display: inline-block; word-break: break-word; }
.msg.local { text-align: right; }
.msg.local .text { background: var(--_tertiary); color: #fff; }
.empty { opacity: .6; font-style: italic; }
form { display: flex; gap: 6px; padding: 8px; }
input { flex: 1; min-width: 0; }
button { background: var(--_tertiary); }
.panel { display: flex; flex-direction: column; flex: 1; min-height: 0; }
`);

export class OvChat extends OvElement {
    render() {
        const root = shadow(
            this,
            [BASE, STYLE],
            `<div part="panel chat-panel" role="region" class="panel"><h2 class="title"></h2>
<ul class="list" part="list" role="log" aria-live="off"></ul>
<form part="form"><input part="input" type="text" autocomplete="off" maxlength="1000"><button part="button send-button" type="submit">${ICONS.send}</button></form></div>`
        );
        $(root, 'form').addEventListener('submit', (e) => {
            e.preventDefault();
            const input = $(root, 'input');
            this.room?.sendChat(input.value);
            input.value = '';
        });
        this._count = -1;
    }

    shown() {
        return this.inCall && (this.hasAttribute('open') || this.room.panel === 'chat');
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        const room = this.room;
        this.hidden = !this.shown();
        if (!room) return;
        $(root, '.title').textContent = room.t('chat');
        $(root, '[role=region]').setAttribute('aria-label', room.t('chat'));
        const input = $(root, 'input');
        input.placeholder = room.t('typeMessage');
        input.setAttribute('aria-label', room.t('typeMessage'));
        $(root, 'button').setAttribute('aria-label', room.t('send'));
        const msgs = room.messages;
        if (msgs.length === this._count) return;
        this._count = msgs.length;
        const list = $(root, '.list');
        list.innerHTML = msgs.length
            ? msgs.map((m) => `<li class="msg${m.local ? ' local' : ''}" part="message"><div class="who">${esc(m.local ? room.t('you') : m.nickname)}</div><span class="text">${esc(m.message)}</span></li>`).join('')
            : `<li class="empty">${esc(room.t('noMessages'))}</li>`;
        list.scrollTop = list.scrollHeight;
    }
}
