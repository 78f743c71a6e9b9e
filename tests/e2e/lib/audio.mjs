// A microphone that speaks: a WAV file for Chromium's --use-file-for-fake-audio-capture.
//
// Chromium's default fake microphone beeps 20 ms every 500 ms: the server's smoothed
// RFC 6464 level of that stays around 62-68 -dBov, above the 50 that starts "speaking"
// (crates/ov-media/src/speaking.rs), so with it no participant ever speaks. A loud tone
// for `toneMs`, then silence for `silenceMs`, looped by Chromium, speaks and stops.

import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const RATE = 48_000;

/** 16-bit mono PCM WAV bytes: a `hz` sine at `amplitude` (0..1) for toneMs, then silenceMs of zeros. */
export function toneWav({ toneMs = 1_500, silenceMs = 1_500, hz = 440, amplitude = 0.3 } = {}) {
    const toneSamples = Math.round((RATE * toneMs) / 1000);
    const samples = toneSamples + Math.round((RATE * silenceMs) / 1000);
    const data = Buffer.alloc(samples * 2);
    for (let i = 0; i < toneSamples; i++) {
        data.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / RATE)), i * 2);
    }
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(36 + data.length, 4);
    header.write('WAVE', 8, 'ascii');
    header.write('fmt ', 12, 'ascii');
    header.writeUInt32LE(16, 16); // fmt chunk size
    header.writeUInt16LE(1, 20); // PCM
    header.writeUInt16LE(1, 22); // mono
    header.writeUInt32LE(RATE, 24);
    header.writeUInt32LE(RATE * 2, 28); // byte rate
    header.writeUInt16LE(2, 32); // block align
    header.writeUInt16LE(16, 34); // bits per sample
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(data.length, 40);
    return Buffer.concat([header, data]);
}

/** Writes toneWav(options) to a new temporary directory; resolves {file, remove()}. */
export async function writeToneWav(options) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ov-e2e-tone-'));
    const file = path.join(dir, 'tone.wav');
    await writeFile(file, toneWav(options));
    return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
