// The base stylesheet every shadow root adopts. Colours, radii and fonts are --ov-*
// custom properties (OpenVidu's names), which inherit through shadow roots: a page sets
// them on any ancestor (or on the element) and every element follows. System fonts only.

import { sheet } from './dom.mjs';

export const BASE = sheet(`
:host {
  --_primary: var(--ov-primary-color, #303030);
  --_secondary: var(--ov-secondary-color, #3e3f3f);
  --_tertiary: var(--ov-tertiary-color, #598eff);
  --_accent: var(--ov-accent-color, #ffae35);
  --_warn: var(--ov-warn-color, #eb5144);
  --_light: var(--ov-light-color, #e6e6e6);
  --_text: var(--ov-text-color, #ffffff);
  --_panel-text: var(--ov-panel-text-color, #1d1d1d);
  --_panel-bg: var(--ov-panel-background, #ffffff);
  --_btn-radius: var(--ov-buttons-radius, 50%);
  --_leave-radius: var(--ov-leave-button-radius, 10px);
  --_video-radius: var(--ov-video-radius, 5px);
  --_panel-radius: var(--ov-panel-radius, 5px);
  font-family: var(--ov-font-family, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  box-sizing: border-box;
}
:host([hidden]), [hidden] { display: none !important; }
*, *::before, *::after { box-sizing: inherit; }
button {
  font: inherit; cursor: pointer; border: 0; color: var(--_text); background: var(--_secondary);
  border-radius: var(--_btn-radius); min-width: 44px; min-height: 44px; padding: 8px;
  display: inline-flex; align-items: center; justify-content: center; gap: 6px;
}
button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--_tertiary); outline-offset: 2px; }
button[aria-pressed="false"] { background: var(--_warn); }
button:disabled { opacity: .5; cursor: default; }
input, select { font: inherit; padding: 8px; border-radius: 4px; border: 1px solid #8888; min-height: 40px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`);
