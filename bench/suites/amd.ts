/**
 * Answering-machine detection benchmark: adapter-mode AMD (`AmdClassifier` over Silero VAD probabilities and the
 * `BeepDetector`) on the labelled recordings in `test/fixtures/amd/` (espeak-ng voicemail greetings ending in a
 * beep against short live answers; `scripts/make-amd-fixtures.sh`). Machine is the positive class: precision and
 * recall of `machine`, how many ended `notsure`, and the decision time (callee audio from the answer to the
 * verdict, stream time) p50/p90/max per true label. With `machine: message`, also how many machines had their beep
 * found. Not a capacity benchmark: one recording at a time through one VAD engine.
 *
 * `runAmdBench()` returns the figures; run this file directly (`npx tsx bench/suites/amd.ts`) to print them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { classifyRecording } from '../../src/calls/amd/amd-replay.js';
import type { AmdResult } from '../../src/calls/amd/amd-result.js';
import { VadSpeechDetectors } from '../../src/calls/vad/speech-detector-factory.js';
import { resolveAmdSettings } from '../../src/config/amd-config.js';
import { decodeWav, toMono } from '../../src/simulator/audio/wav.js';
import { helpIfAsked } from '../lib/script-args.js';
import { percentile } from '../lib/stats.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/amd/', import.meta.url));

export interface AmdRecordingResult {
  readonly file: string;
  readonly label: 'human' | 'machine';
  readonly result: AmdResult;
}

export interface AmdBenchResult {
  readonly recordings: AmdRecordingResult[];
  readonly machines: number;
  readonly humans: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly notsure: number;
  readonly precision: number;
  readonly recall: number;
  readonly beepsFound: number;
  /** Decision time, ms of callee audio, by true label. */
  readonly decisionMs: Record<'human' | 'machine', { p50: number; p90: number; max: number }>;
}

/** The labelled set: file and label from `labels.csv`. */
export function readAmdLabels(dir = FIXTURES): { file: string; label: 'human' | 'machine' }[] {
  const lines = readFileSync(`${dir}labels.csv`, 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [file, label] = line.split(',');
    if (!file || (label !== 'human' && label !== 'machine')) throw new Error(`bad labels.csv line: ${line}`);
    return { file, label };
  });
}

export async function runAmdBench(): Promise<AmdBenchResult> {
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
  await detectors.start();
  const settings = resolveAmdSettings(undefined, { mode: 'adapter', machine: 'message' });
  if (!settings) throw new Error('AMD settings did not resolve');
  const recordings: AmdRecordingResult[] = [];
  try {
    for (const { file, label } of readAmdLabels()) {
      const wav = decodeWav(readFileSync(`${FIXTURES}${file}`));
      if (wav.sampleRate !== 8000 && wav.sampleRate !== 16000) throw new Error(`${file}: ${wav.sampleRate} Hz`);
      const result = await classifyRecording(toMono(wav), wav.sampleRate, detectors.factory, settings);
      recordings.push({ file, label, result });
    }
  } finally {
    await detectors.close();
  }
  const is = (r: AmdRecordingResult, label: string, result: string) => r.label === label && r.result.result === result;
  const tp = recordings.filter((r) => is(r, 'machine', 'machine')).length;
  const fp = recordings.filter((r) => is(r, 'human', 'machine')).length;
  const machines = recordings.filter((r) => r.label === 'machine').length;
  const times = (label: 'human' | 'machine') => {
    const sorted = recordings
      .filter((r) => r.label === label)
      .map((r) => r.result.decisionMs ?? Number.NaN)
      .sort((a, b) => a - b);
    return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), max: sorted.at(-1) ?? Number.NaN };
  };
  return {
    recordings,
    machines,
    humans: recordings.length - machines,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: machines - tp,
    notsure: recordings.filter((r) => r.result.result === 'notsure').length,
    precision: tp + fp === 0 ? Number.NaN : tp / (tp + fp),
    recall: machines === 0 ? Number.NaN : tp / machines,
    beepsFound: recordings.filter((r) => r.label === 'machine' && r.result.beep === true).length,
    decisionMs: { human: times('human'), machine: times('machine') },
  };
}

export function formatAmdBench(r: AmdBenchResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines = [
    `Adapter-mode AMD on ${r.machines + r.humans} labelled recordings (${r.machines} machine, ${r.humans} human; test/fixtures/amd), default settings, machine: message`,
    '',
    '| machine = positive | value |',
    '|---|---|',
    `| precision | ${pct(r.precision)} (${r.truePositives} of ${r.truePositives + r.falsePositives} called machine) |`,
    `| recall | ${pct(r.recall)} (${r.truePositives} of ${r.machines} machines) |`,
    `| humans called machine | ${r.falsePositives} of ${r.humans} |`,
    `| notsure (either label) | ${r.notsure} |`,
    `| machines whose beep was found | ${r.beepsFound} of ${r.machines} |`,
    '',
    '| decision time (ms of callee audio) | p50 | p90 | max |',
    '|---|---|---|---|',
    `| human | ${r.decisionMs.human.p50} | ${r.decisionMs.human.p90} | ${r.decisionMs.human.max} |`,
    `| machine | ${r.decisionMs.machine.p50} | ${r.decisionMs.machine.p90} | ${r.decisionMs.machine.max} |`,
    '',
    '| recording | label | result | cause | decision ms | beep |',
    '|---|---|---|---|---|---|',
    ...r.recordings.map(
      (x) =>
        `| ${x.file} | ${x.label} | ${x.result.result} | ${x.result.cause} | ${x.result.decisionMs ?? ''} | ${x.result.beep === undefined ? '' : x.result.beep ? `yes (${x.result.beepEndMs} ms)` : 'no'} |`,
    ),
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  helpIfAsked('usage: npx tsx bench/suites/amd.ts\nClassifies the labelled AMD recordings and prints the figures.');
  const result = await runAmdBench();
  process.stdout.write(`${formatAmdBench(result)}\n`);
}
