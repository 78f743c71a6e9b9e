// The components library's entry: registers every element (once, even if loaded twice)
// and exports the classes and helpers.

import { OvRoom } from './room.mjs';
import { OvPrejoin } from './prejoin.mjs';
import { OvParticipantGrid } from './grid.mjs';
import { OvParticipantTile } from './tile.mjs';
import { OvToolbar } from './toolbar.mjs';
import { OvChat } from './chat.mjs';
import { OvParticipants } from './participants.mjs';
import { OvDeviceSelect } from './device-select.mjs';
import { OvConnectionBanner } from './banner.mjs';
import { OvPanel } from './panel.mjs';
import { OpenViduCall } from './call.mjs';
import { OpenViduWebComponent } from './webcomponent.mjs';

export { OvRoom, parseTokens } from './room.mjs';
export { OvPrejoin } from './prejoin.mjs';
export { OvParticipantGrid } from './grid.mjs';
export { OvParticipantTile } from './tile.mjs';
export { OvToolbar, DEFAULT_BUTTONS } from './toolbar.mjs';
export { OvChat } from './chat.mjs';
export { OvParticipants } from './participants.mjs';
export { OvDeviceSelect } from './device-select.mjs';
export { OvConnectionBanner } from './banner.mjs';
export { OvPanel } from './panel.mjs';
export { OpenViduCall, CALL_BUTTONS } from './call.mjs';
export { OpenViduWebComponent, castToBoolean } from './webcomponent.mjs';
export { LANGS, translate } from './i18n.mjs';
export { parseMetadata } from './participant.mjs';

const ELEMENTS = {
    'ov-room': OvRoom,
    'ov-prejoin': OvPrejoin,
    'ov-participant-grid': OvParticipantGrid,
    'ov-participant-tile': OvParticipantTile,
    'ov-toolbar': OvToolbar,
    'ov-chat': OvChat,
    'ov-participants': OvParticipants,
    'ov-device-select': OvDeviceSelect,
    'ov-connection-banner': OvConnectionBanner,
    'ov-panel': OvPanel,
    'openvidu-call': OpenViduCall,
    'openvidu-webcomponent': OpenViduWebComponent
};
for (const [name, cls] of Object.entries(ELEMENTS)) {
    if (!customElements.get(name)) customElements.define(name, cls);
}
