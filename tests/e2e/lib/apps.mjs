// The tutorial applications of apps/ in the e2e suite: build a Vite app, start the
// application server (apps/app-server) in front of an openvidu-rs server, and read the
// pixels of a screenshot.
//
// The application server binary is `APP_SERVER_BIN` when set (relative paths are taken
// from the current directory), else `<repo>/target/release/app-server` (build it with
// `cargo build --release -p app-server`). It prints a line with `listening on <addr>:<port>`.
//
// Building an app runs the Vite of the app's own node_modules: `npm ci` must have been run
// in the app's folder beforehand, outside the loopback-only namespace.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { inflateSync } from 'node:zlib';
import path from 'node:path';

import { REPO_ROOT, childEnv, killOnExit, startChildServer, workspaceBinary } from '../../shared/child-server.mjs';

export { REPO_ROOT };
export const REACT_APP_DIR = path.join(REPO_ROOT, 'apps', 'react-tutorial');

const APP_SERVER = workspaceBinary({
    file: 'app-server',
    envVar: 'APP_SERVER_BIN',
    cargoPackage: 'app-server',
    label: 'application server binary'
});
export const APP_SERVER_BIN = APP_SERVER.path;

const BUILD_TIMEOUT_MS = 120_000;

/**
 * Production build of the Vite app in `appDir` into `outDir` (`vite build`, with the app's
 * own vite.config.js). Resolves the build's output; rejects with it on failure.
 */
export async function buildViteApp(appDir, { outDir }) {
    const vite = path.join(appDir, 'node_modules', 'vite', 'bin', 'vite.js');
    if (!existsSync(vite)) {
        throw new Error(`${vite} not found: run "npm ci" in ${appDir} first (outside the network namespace)`);
    }
    const env = { ...process.env, NO_COLOR: '1' };
    // The build must call the application server on its own origin: no override.
    delete env.VITE_APPLICATION_SERVER_URL;
    const child = killOnExit(
        spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
            cwd: appDir,
            env,
            stdio: ['ignore', 'pipe', 'pipe']
        })
    );
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    const { code, signal } = await new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code, signal) => resolve({ code, signal }));
    }).finally(() => clearTimeout(timer));
    if (code !== 0) {
        throw new Error(`vite build in ${appDir} failed (code ${code}, signal ${signal}):\n${output}`);
    }
    if (!existsSync(path.join(outDir, 'index.html'))) {
        throw new Error(`vite build wrote no ${path.join(outDir, 'index.html')}:\n${output}`);
    }
    return output;
}

/**
 * A copy of the Vite app in `appDir` (in a temporary folder, sharing its node_modules) whose
 * only change is the module it imports openvidu-browser from: every
 * `from 'openvidu-browser'` of its src/ becomes `from '<sdkModule>'`. This is how an
 * application moves to our SDK (sdk/browser) with only the import changed.
 */
export async function copyAppImporting(appDir, sdkModule) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-app-'));
    for (const entry of await readdir(appDir)) {
        if (entry === 'node_modules' || entry === 'dist') continue;
        await cp(path.join(appDir, entry), path.join(dir, entry), { recursive: true });
    }
    await symlink(path.join(appDir, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    let changed = 0;
    for (const file of await readdir(path.join(dir, 'src'), { recursive: true })) {
        const full = path.join(dir, 'src', file);
        if (!/\.(jsx?|tsx?)$/.test(file)) continue;
        const text = await readFile(full, 'utf8');
        const next = text.replaceAll("from 'openvidu-browser'", `from '${sdkModule}'`);
        if (next !== text) {
            changed++;
            await writeFile(full, next);
        }
    }
    if (changed === 0) throw new Error(`no import of 'openvidu-browser' in ${appDir}/src`);
    return dir;
}

// Besides OPENVIDU_*, the application server's own configuration variables: never
// inherited from the caller.
const APP_SERVER_CONFIG_VARS = ['SERVER_PORT', 'SERVER_ADDRESS', 'STATIC_DIR', 'RUST_LOG'];

/**
 * Starts the application server in front of `openvidu` (a server from startServer()),
 * on a random port, serving `staticDir` at `/`. Resolves once it printed its address.
 *
 * @returns {Promise<{host: string, port: number, url: string, pid: number, output: () => string,
 *   alive: () => boolean, stop: () => Promise<void>}>} `url` ends with '/'
 */
export async function startAppServer({ openvidu, staticDir, env = {} }) {
    const { host, port, pid, output, alive, stop } = await startChildServer({
        name: 'app-server',
        binary: APP_SERVER,
        env: childEnv({
            drop: APP_SERVER_CONFIG_VARS,
            set: {
                NO_COLOR: '1',
                SERVER_PORT: '0',
                OPENVIDU_URL: openvidu.url,
                OPENVIDU_SECRET: openvidu.secret,
                ...(staticDir ? { STATIC_DIR: staticDir } : {}),
                ...env
            }
        })
    });
    // A wildcard address is reached on loopback (the pages may only use loopback hosts).
    const reachable = host === '[::1]' ? '[::1]' : '127.0.0.1';
    return { host, port, url: `http://${reachable}:${port}/`, pid, output, alive, stop };
}

/**
 * Decodes a PNG (8-bit greyscale, RGB, grey+alpha or RGBA, not interlaced: what Chromium's
 * screenshots are) into `{width, height, channels, pixel(x, y) -> [r, g, b]}`.
 */
export function decodePng(buf) {
    const SIGNATURE = '89504e470d0a1a0a';
    if (buf.subarray(0, 8).toString('hex') !== SIGNATURE) throw new Error('not a PNG');
    let width, height, bitDepth, colorType, interlace;
    const idat = [];
    for (let off = 8; off < buf.length; ) {
        const len = buf.readUInt32BE(off);
        const type = buf.toString('latin1', off + 4, off + 8);
        const data = buf.subarray(off + 8, off + 8 + len);
        if (type === 'IHDR') {
            width = data.readUInt32BE(0);
            height = data.readUInt32BE(4);
            bitDepth = data[8];
            colorType = data[9];
            interlace = data[12];
        } else if (type === 'IDAT') {
            idat.push(data);
        } else if (type === 'IEND') {
            break;
        }
        off += 12 + len;
    }
    const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
    if (bitDepth !== 8 || !channels || interlace !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
    }
    const raw = inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const out = Buffer.alloc(stride * height);
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)];
        const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        const row = out.subarray(y * stride, (y + 1) * stride);
        const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : null;
        for (let i = 0; i < stride; i++) {
            const a = i >= channels ? row[i - channels] : 0;
            const b = prev ? prev[i] : 0;
            const c = prev && i >= channels ? prev[i - channels] : 0;
            let v;
            switch (filter) {
                case 0: v = line[i]; break;
                case 1: v = line[i] + a; break;
                case 2: v = line[i] + b; break;
                case 3: v = line[i] + ((a + b) >> 1); break;
                case 4: {
                    const p = a + b - c;
                    const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
                    v = line[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                    break;
                }
                default: throw new Error(`bad PNG filter ${filter} on row ${y}`);
            }
            row[i] = v & 0xff;
        }
    }
    return {
        width,
        height,
        channels,
        pixel(x, y) {
            const o = y * stride + x * channels;
            return channels >= 3 ? [out[o], out[o + 1], out[o + 2]] : [out[o], out[o], out[o]];
        }
    };
}

/**
 * Colour summary of an image (from decodePng), or of the rectangle `box` ({x, y, width,
 * height}, in pixels) of it, sampled on a grid: mean R, G, B, the share of near-black
 * pixels and the share of pixels where green clearly dominates.
 */
export function colourStats(img, { box, step = 4 } = {}) {
    const x0 = Math.max(0, Math.floor(box?.x ?? 0));
    const y0 = Math.max(0, Math.floor(box?.y ?? 0));
    const x1 = Math.min(img.width, Math.floor(box ? box.x + box.width : img.width));
    const y1 = Math.min(img.height, Math.floor(box ? box.y + box.height : img.height));
    let n = 0, r = 0, g = 0, b = 0, black = 0, green = 0;
    for (let y = y0; y < y1; y += step) {
        for (let x = x0; x < x1; x += step) {
            const [pr, pg, pb] = img.pixel(x, y);
            n++;
            r += pr;
            g += pg;
            b += pb;
            if (pr + pg + pb < 48) black++;
            if (pg > 64 && pg > pr + 24 && pg > pb + 24) green++;
        }
    }
    if (n === 0) throw new Error(`no pixel in ${JSON.stringify(box)} of a ${img.width}x${img.height} image`);
    return { samples: n, r: r / n, g: g / n, b: b / n, blackShare: black / n, greenShare: green / n };
}
