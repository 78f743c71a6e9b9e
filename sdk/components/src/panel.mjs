// <ov-panel name="…">: a side panel the toolbar (or `room.togglePanel(name)`) opens; its
// children are slotted, so a page adds its own panels, and <openvidu-call> uses one for the
// in-call device settings. Shown while the room's panel is `name`, or always with `open`.

import { OvElement, shadow, sheet } from './dom.mjs';
import { BASE } from './theme.mjs';

const STYLE = sheet(`:host { display: flex; flex-direction: column; gap: 10px; padding: 12px; background: var(--_panel-bg);
  color: var(--_panel-text); border-radius: var(--_panel-radius); min-height: 0; overflow: auto; }`);

export class OvPanel extends OvElement {
    render() {
        shadow(this, [BASE, STYLE], '<slot></slot>');
        this.setAttribute('part', 'panel');
        if (!this.hasAttribute('role')) this.setAttribute('role', 'region');
    }

    shown() {
        return this.inCall && (this.hasAttribute('open') || this.room.panel === this.getAttribute('name'));
    }

    update() {
        const name = this.getAttribute('name');
        this.hidden = !this.shown();
        if (this.room && name) this.setAttribute('aria-label', this.room.t(name));
    }
}
