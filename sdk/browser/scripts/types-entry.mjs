// After `tsc --declaration --emitDeclarationOnly --outDir types` (one .d.mts per module):
// types/openvidu-browser.d.ts, the declarations of the whole SDK in one entry, for the
// package's "types" (npm users of openvidu-rs-browser).
import { writeFile } from 'node:fs/promises';

await writeFile(new URL('../types/openvidu-browser.d.ts', import.meta.url), "export * from './index.mjs';\n");
