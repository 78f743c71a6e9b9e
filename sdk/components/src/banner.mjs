// <ov-connection-banner>: a non-blocking banner while the SDK reconnects (with a countdown
// of `timeout` seconds, default 30), and "Rejoin" once the connection is lost for good.

import { OvElement, shadow, sheet, $ } from './dom.mjs';
import { BASE } from './theme.mjs';

const STYLE = sheet(`
:host { display: flex; justify-content: center; }
.b { display: flex; align-items: center; gap: 12px; padding: 8px 14px; background: var(--_accent); color: #000; border-radius: var(--_panel-radius); }
button { background: var(--_primary); border-radius: var(--_leave-radius); }
button[hidden] { display: none; }
`);

export class OvConnectionBanner extends OvElement {
    render() {
        const root = shadow(this, [BASE, STYLE], `<div class="b" part="banner" role="alert"><span class="text"></span><button part="button rejoin-button" type="button" hidden></button></div>`);
        $(root, 'button').addEventListener('click', () => this.room?.rejoin());
        this._timer = 0;
        this._deadline = 0;
    }

    get timeout() {
        const n = Number(this.getAttribute('timeout'));
        return n > 0 ? n : 30;
    }

    update() {
        const root = this.shadowRoot;
        if (!root) return;
        const phase = this.room?.phase;
        const show = phase === 'reconnecting' || phase === 'disconnected';
        this.hidden = !show;
        if (phase === 'reconnecting') {
            if (!this._timer) {
                this._deadline = Date.now() + this.timeout * 1000;
                this._timer = setInterval(() => this._tick(), 1000);
            }
            this._tick();
        } else {
            clearInterval(this._timer);
            this._timer = 0;
        }
        const button = $(root, 'button');
        button.hidden = phase !== 'disconnected';
        button.textContent = this.t('rejoin');
        if (phase === 'disconnected') $(root, '.text').textContent = this.t('disconnected');
    }

    _tick() {
        const seconds = Math.max(0, Math.ceil((this._deadline - Date.now()) / 1000));
        $(this.shadowRoot, '.text').textContent = this.t('reconnecting', { seconds });
    }
}
