import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudioSource } from '../../../src/simulator/audio/audio-source.js';
import { toneSamples } from '../../../src/simulator/audio/tone.js';
import { decodeWav, encodeWav, readWavFile, toMono, writeWavFile } from '../../../src/simulator/audio/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'audiosocket-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function samplesOf(buf: Buffer): number[] {
  return Array.from({ length: buf.length / 2 }, (_, i) => buf.readInt16LE(2 * i));
}

describe('WAV reader/writer', () => {
  it('round-trips mono and stereo PCM16 through a file', async () => {
    const mono = { sampleRate: 8000, channels: 1 as const, samples: Int16Array.from([0, 1, -1, 32767, -32768]) };
    const stereo = { sampleRate: 16000, channels: 2 as const, samples: Int16Array.from([100, 300, -100, -301]) };
    for (const audio of [mono, stereo]) {
      const path = join(dir, `rt-${audio.channels}.wav`);
      await writeWavFile(path, audio);
      expect(await readWavFile(path)).toEqual(audio);
    }
    expect(Array.from(toMono(stereo))).toEqual([200, -200]);
    const header = encodeWav(mono).subarray(0, 44);
    expect(header.toString('latin1', 0, 4)).toBe('RIFF');
    expect(header.readUInt32LE(40)).toBe(10);
  });

  it('skips unknown chunks (with their pad byte) and reads WAVE_FORMAT_EXTENSIBLE PCM', () => {
    const base = encodeWav({ sampleRate: 8000, channels: 1, samples: Int16Array.from([5, 6]) });
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0')]);
    const withList = Buffer.concat([base.subarray(0, 36), list, base.subarray(36)]);
    expect(Array.from(decodeWav(withList).samples)).toEqual([5, 6]);

    const ext = Buffer.from(base);
    ext.writeUInt16LE(0xfffe, 20);
    const fmt40 = Buffer.alloc(40);
    ext.copy(fmt40, 0, 20, 36);
    fmt40.writeUInt16LE(22, 16); // cbSize
    fmt40.writeUInt16LE(1, 24); // subformat GUID starts with PCM = 1
    const extensible = Buffer.concat([
      ext.subarray(0, 12),
      Buffer.from('fmt '),
      Buffer.from([40, 0, 0, 0]),
      fmt40,
      base.subarray(36),
    ]);
    expect(Array.from(decodeWav(extensible).samples)).toEqual([5, 6]);
  });

  it('refuses what it cannot read, with WAV_INVALID', () => {
    const base = encodeWav({ sampleRate: 8000, channels: 1, samples: Int16Array.from([1]) });
    const eightBit = Buffer.from(base);
    eightBit.writeUInt16LE(8, 34);
    const float = Buffer.from(base);
    float.writeUInt16LE(3, 20);
    for (const bad of [Buffer.from('nope'), eightBit, float, base.subarray(0, 36)]) {
      expect(() => decodeWav(bad)).toThrow(expect.objectContaining({ code: 'WAV_INVALID' }));
    }
  });
});

describe('audio sources for the simulated caller', () => {
  it('samples: whole frames in order, a short tail padded with zeros, then the end', () => {
    const src = openAudioSource({ type: 'samples', samples: Int16Array.from([1, 2, 3, 4, 5]) }, 8000);
    expect(samplesOf(src.next(2)!)).toEqual([1, 2]);
    expect(samplesOf(src.next(2)!)).toEqual([3, 4]);
    expect(samplesOf(src.next(2)!)).toEqual([5, 0]);
    expect(src.next(2)).toBeUndefined();
  });

  it('samples with loop wrap around and never end', () => {
    const src = openAudioSource({ type: 'samples', samples: Int16Array.from([1, 2, 3]), loop: true }, 8000);
    expect(samplesOf(src.next(4)!)).toEqual([1, 2, 3, 1]);
    expect(samplesOf(src.next(4)!)).toEqual([2, 3, 1, 2]);
  });

  it('generator: gets the frame size and index; undefined ends it', () => {
    const calls: [number, number][] = [];
    const src = openAudioSource(
      {
        type: 'generator',
        next: (n, i) => {
          calls.push([n, i]);
          return i < 2 ? new Int16Array(n).fill(i + 1) : undefined;
        },
      },
      8000,
    );
    expect(samplesOf(src.next(3)!)).toEqual([1, 1, 1]);
    expect(samplesOf(src.next(3)!)).toEqual([2, 2, 2]);
    expect(src.next(3)).toBeUndefined();
    expect(calls).toEqual([
      [3, 0],
      [3, 1],
      [3, 2],
    ]);
  });

  it('wav: a stereo file at the call rate plays mixed down; another rate is refused', () => {
    const path = join(dir, 'src.wav');
    writeFileSync(path, encodeWav({ sampleRate: 8000, channels: 2, samples: Int16Array.from([10, 20, 30, 40]) }));
    expect(samplesOf(openAudioSource({ type: 'wav', path }, 8000).next(2)!)).toEqual([15, 35]);
    expect(() => openAudioSource({ type: 'wav', path }, 16000)).toThrow(
      expect.objectContaining({ code: 'WAV_RATE_MISMATCH' }),
    );
  });

  it('silence never ends; a tone has the asked length and peak', () => {
    const src = openAudioSource({ type: 'silence' }, 8000);
    expect(src.next(160)!.every((b) => b === 0)).toBe(true);
    const tone = toneSamples({ frequency: 1000, sampleRate: 8000, durationMs: 20, amplitude: 0.5 });
    expect(tone.length).toBe(160);
    expect(Math.max(...tone)).toBe(16384);
  });
});
