// Bundles the official, unmodified npm `openvidu-browser` for the test page
// with esbuild (--bundle --platform=browser, IIFE) into dist/. The page gets
// `window.OpenVidu` (the class) and `window.OpenViduBrowser` (every export of
// the package: OpenViduError, enums, event classes...).
//
// Run directly (`node lib/bundle.mjs`) or through `buildBundle()`, which every
// test file calls in its `before` hook (~0.1 s). The file is written under a
// temporary name and renamed, so concurrent test files never read half a file.

import { build } from 'esbuild';
import { rename, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_PATH = path.join(root, 'dist', 'openvidu-browser.js');

/** Version of the installed openvidu-browser package (must be the pinned 2.32.2). */
export async function openviduBrowserVersion() {
    const pkg = JSON.parse(await readFile(path.join(root, 'node_modules', 'openvidu-browser', 'package.json'), 'utf8'));
    return pkg.version;
}

export async function buildBundle() {
    await mkdir(path.dirname(BUNDLE_PATH), { recursive: true });
    const tmp = `${BUNDLE_PATH}.${process.pid}.tmp`;
    const result = await build({
        stdin: {
            contents: [
                "import * as ovb from 'openvidu-browser';",
                'window.OpenViduBrowser = ovb;',
                'window.OpenVidu = ovb.OpenVidu;'
            ].join('\n'),
            resolveDir: root,
            sourcefile: 'openvidu-browser-entry.js',
            loader: 'js'
        },
        bundle: true,
        platform: 'browser',
        format: 'iife',
        target: 'chrome110',
        outfile: tmp,
        legalComments: 'none',
        logLevel: 'silent'
    });
    if (result.errors.length > 0) {
        throw new Error('esbuild failed: ' + JSON.stringify(result.errors));
    }
    await rename(tmp, BUNDLE_PATH);
    return BUNDLE_PATH;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const out = await buildBundle();
    console.log(`openvidu-browser ${await openviduBrowserVersion()} bundled to ${out}`);
}
