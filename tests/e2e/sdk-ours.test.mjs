// The most telling scenario of the suite, run again with every page on our own SDK
// (sdk/browser) instead of the official openvidu-browser bundle: reconnection.test.mjs
// (a call whose pages publish, subscribe, decode and signal, then lose the signalling
// socket briefly and for too long, and repair their media with Stream.reconnect()). It
// exercises what our SDK implements itself: the JSON-RPC client with its pings and
// `connect` reconnection, joinRoom, the server-offered subscriptions, and media
// reconnection. Mixed sessions are mixed-sdk.test.mjs; any other file runs on our SDK
// with `E2E_SDK=ours`.

process.env.E2E_SDK = 'ours';
await import('./reconnection.test.mjs');
