// Media files read as a player reads them (recording tests): ffprobe's streams and
// format, decoded frames as RGB pixels and decoded audio as PCM (ffmpeg), and the
// entries of a ZIP (node:zlib). Debian's ffmpeg package provides ffprobe and ffmpeg.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';

const run = promisify(execFile);
const MAX_OUTPUT = 256 * 1024 * 1024;

/** ffprobe of `file`: {streams, format, codecs: {video: [names], audio: [names]}, duration (s)}. */
export async function probe(file) {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file]);
    const probed = JSON.parse(stdout);
    const of = (kind) => probed.streams.filter((s) => s.codec_type === kind).map((s) => s.codec_name);
    return { ...probed, codecs: { video: of('video'), audio: of('audio') }, duration: Number(probed.format.duration) };
}

/**
 * Decodes `file`'s video at `fps` frames per second, scaled to `width`x`height` RGB, as a
 * player shows it. Each pixel is taken as its brightest channel (0 black, 255 full
 * red, green, blue or white: Chromium's fake camera is a dark green whose luma is close
 * to black's). Resolves one entry per frame: {mean, stddev, left, right} (left and right:
 * the mean of each half) and `pixels` (those values).
 */
export async function frames(file, { fps = 2, width = 64, height = 36 } = {}) {
    const { stdout } = await run(
        'ffmpeg',
        ['-v', 'error', '-i', file, '-an', '-vf', `fps=${fps},scale=${width}:${height},format=rgb24`, '-f', 'rawvideo', '-'],
        { encoding: 'buffer', maxBuffer: MAX_OUTPUT }
    );
    const size = width * height;
    const result = [];
    for (let at = 0; at + size * 3 <= stdout.length; at += size * 3) {
        const pixels = new Uint8Array(size);
        for (let i = 0; i < size; i++) {
            const o = at + i * 3;
            pixels[i] = Math.max(stdout[o], stdout[o + 1], stdout[o + 2]);
        }
        const mean = (from, to) => {
            let sum = 0;
            for (let y = 0; y < height; y++) {
                for (let x = from; x < to; x++) sum += pixels[y * width + x];
            }
            return sum / (height * (to - from));
        };
        const all = mean(0, width);
        let sq = 0;
        for (const v of pixels) sq += (v - all) ** 2;
        result.push({ mean: all, stddev: Math.sqrt(sq / size), left: mean(0, width / 2), right: mean(width / 2, width), pixels });
    }
    return result;
}

/** Mean absolute difference of two frames of frames() (0-255): how much the picture changed. */
export function frameDifference(a, b) {
    let sum = 0;
    for (let i = 0; i < a.pixels.length; i++) sum += Math.abs(a.pixels[i] - b.pixels[i]);
    return sum / a.pixels.length;
}

/**
 * Decodes `file`'s audio to mono 16-bit PCM at `rate` Hz; resolves the level of each
 * `windowMs` window: {peak, rms} (0-1 of full scale).
 */
export async function audioLevels(file, { rate = 16_000, windowMs = 100 } = {}) {
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'], {
        encoding: 'buffer',
        maxBuffer: MAX_OUTPUT
    });
    const perWindow = Math.round((rate * windowMs) / 1000);
    const windows = [];
    for (let start = 0; start + perWindow * 2 <= stdout.length; start += perWindow * 2) {
        let peak = 0;
        let sq = 0;
        for (let i = 0; i < perWindow; i++) {
            const v = stdout.readInt16LE(start + i * 2) / 32768;
            peak = Math.max(peak, Math.abs(v));
            sq += v * v;
        }
        windows.push({ peak, rms: Math.sqrt(sq / perWindow) });
    }
    return windows;
}

/** The entries of a ZIP file (stored or deflated), from its central directory: Map name → Buffer. */
export function readZip(zip) {
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    assert.ok(eocd >= 0, 'a ZIP file (end of central directory record)');
    const count = zip.readUInt16LE(eocd + 10);
    let at = zip.readUInt32LE(eocd + 16);
    const entries = new Map();
    for (let i = 0; i < count; i++) {
        assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory entry');
        const method = zip.readUInt16LE(at + 10);
        const compressed = zip.readUInt32LE(at + 20);
        const size = zip.readUInt32LE(at + 24);
        const nameLength = zip.readUInt16LE(at + 28);
        const extraLength = zip.readUInt16LE(at + 30);
        const commentLength = zip.readUInt16LE(at + 32);
        const local = zip.readUInt32LE(at + 42);
        const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
        assert.equal(zip.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
        const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const raw = zip.subarray(dataAt, dataAt + compressed);
        assert.ok(method === 0 || method === 8, `${name}: stored or deflated (method ${method})`);
        const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
        assert.equal(data.length, size, `${name}: its size`);
        entries.set(name, data);
        at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
}
