// The React tutorial (apps/react-tutorial) built against our SDK (sdk/browser) with only
// its import changed (`from 'openvidu-browser'` → our src/index.mjs, lib/apps.mjs
// copyAppImporting): the same browser test as react-tutorial.test.mjs must pass.

process.env.E2E_REACT_SDK = 'ours';
await import('./react-tutorial.test.mjs');
