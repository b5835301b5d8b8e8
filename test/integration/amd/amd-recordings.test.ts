import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyRecording } from '../../../src/calls/amd/amd-replay.js';
import { VadSpeechDetectors } from '../../../src/calls/vad/speech-detector-factory.js';
import { resolveAmdSettings } from '../../../src/config/amd-config.js';
import { AMD_ARGUMENT_VARIABLES, AMD_RETURN_ARG } from '../../../src/protocols/ari/amd-dialplan.js';
import { decodeWav, toMono } from '../../../src/simulator/audio/wav.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = `${ROOT}test/fixtures/amd/`;

describe('adapter-mode AMD on labelled recordings (Silero VAD)', () => {
  const detectors = new VadSpeechDetectors(
    {
      engine: 'silero',
      threshold: 0.5,
      minSpeechMs: 160,
      minSilenceMs: 400,
      batchIntervalMs: 10,
      energyGateDbfs: undefined,
      workerCpus: 'off',
      workerPriority: 'normal',
    },
    pino({ level: 'silent' }),
  );
  beforeAll(() => detectors.start(), 30_000);
  afterAll(() => detectors.close());
  const settings = resolveAmdSettings(undefined, { mode: 'adapter', machine: 'message' })!;
  const classify = (file: string) =>
    classifyRecording(toMono(decodeWav(readFileSync(`${FIXTURES}${file}`))), 8000, detectors.factory, settings);

  it.each([
    ['machine-01.wav', 'machine'],
    ['machine-07.wav', 'machine'],
    ['machine-14.wav', 'machine'],
    ['human-01.wav', 'human'],
    ['human-02.wav', 'human'],
    ['human-11.wav', 'human'],
  ])('%s is classified %s', async (file, label) => {
    const r = await classify(file);
    expect(r.result).toBe(label);
    if (label === 'machine') expect(r.beep).toBe(true);
    expect(r.decisionMs).toBeGreaterThan(0);
  });
});

describe('the shipped [ava-amd] dialplan context', () => {
  const conf = readFileSync(`${ROOT}asterisk-conf/extensions.conf`, 'utf8');
  const context = conf.slice(conf.indexOf('[ava-amd]')).split(/\n\[/)[0] ?? '';
  const app = (name: string) => new RegExp(`same => n,${name}\\((.*)\\)`).exec(context)?.[1];

  it('calls AMD() with the per-call variables in the argument positions the adapter sets', () => {
    const args = app('AMD')?.split(',') ?? [];
    for (const v of AMD_ARGUMENT_VARIABLES) expect(args[v.position]).toBe(`\${${v.name}}`);
  });

  it('returns to Stasis with the arguments the adapter and the simulated Asterisk read', () => {
    expect(app('Stasis')).toBe(`\${AVA_APP},${AMD_RETURN_ARG},\${AMDSTATUS},\${AMDCAUSE}`);
    expect(readFileSync(`${ROOT}asterisk-conf/modules.conf`, 'utf8')).toMatch(/^load = app_amd\.so$/m);
    expect(readFileSync(`${ROOT}asterisk-conf/amd.conf`, 'utf8')).toMatch(/^\[general\]$/m);
  });
});
