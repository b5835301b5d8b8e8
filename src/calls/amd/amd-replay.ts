import { type Beep, BeepDetector } from '../../audio/beep-detector.js';
import type { AmdSettings } from '../../config/amd-config.js';
import type { SpeechDetectorFactory } from '../media-leg.js';
import { SILERO_WINDOW_MS } from '../vad/silero-model.js';
import { AmdClassifier } from './amd-classifier.js';
import type { AmdResult } from './amd-result.js';

/** How long to wait for the VAD to score a recording's windows before giving up. */
const SCORE_TIMEOUT_MS = 30_000;

/**
 * Adapter-mode answering-machine detection over a whole recording (the labelled set, the benchmark): the
 * recording's VAD probabilities are collected first, then windows and beeps are replayed in stream-time order into
 * the same `AmdClassifier` the live calls use, as if the VAD kept up with the audio. The decision time is stream
 * time: how much callee audio the verdict needed. For `machine: message`, `beep` says whether a beep ended
 * within `beepWaitMs`.
 */
export async function classifyRecording(
  samples: Int16Array,
  sampleRate: 8000 | 16000,
  speech: SpeechDetectorFactory,
  settings: AmdSettings,
): Promise<AmdResult> {
  const probabilities = await scoreRecording(samples, sampleRate, speech);
  const beeps = new BeepDetector({ sampleRate }).push(samples);
  return replay(probabilities, beeps, settings);
}

/** The classification of already scored windows and heard beeps (pure). */
export function replay(
  probabilities: readonly { atMs: number; probability: number }[],
  beeps: readonly Beep[],
  settings: AmdSettings,
): AmdResult {
  const classifier = new AmdClassifier(settings);
  let next = 0;
  for (const w of probabilities) {
    while (next < beeps.length && (beeps[next] as Beep).endMs <= w.atMs) classifier.beep((beeps[next++] as Beep).endMs);
    if (classifier.decision) break;
    if (classifier.window(w.atMs, SILERO_WINDOW_MS, w.probability)) break;
  }
  if (!classifier.decision && next < beeps.length) classifier.beep((beeps[next] as Beep).endMs);
  const last = probabilities.at(-1)?.atMs ?? 0;
  const d = classifier.decision ?? classifier.giveUp(last >= settings.totalAnalysisMs ? 'TOOLONG' : 'NOAUDIO', last);
  const result: AmdResult = { mode: 'adapter', result: d.result, cause: d.cause, decisionMs: d.decisionMs };
  if (d.result !== 'machine' || settings.machine !== 'message') return result;
  const beep = beeps.find((b) => b.endMs >= d.decisionMs - 1000 && b.endMs <= settings.beepWaitMs);
  return { ...result, beep: beep !== undefined, ...(beep ? { beepEndMs: beep.endMs } : {}) };
}

/** Every window's speech probability for the recording, in order. */
async function scoreRecording(
  samples: Int16Array,
  sampleRate: 8000 | 16000,
  speech: SpeechDetectorFactory,
): Promise<{ atMs: number; probability: number }[]> {
  const detector = speech(sampleRate, 'recording');
  const scored: { atMs: number; probability: number }[] = [];
  detector.on('probability', (e) => scored.push({ atMs: e.atMs, probability: e.probability }));
  const frame = sampleRate / 50;
  const windowSamples = (sampleRate * SILERO_WINDOW_MS) / 1000;
  const deadline = performance.now() + SCORE_TIMEOUT_MS;
  // Fed a little ahead of the scoring only: the engine drops windows of a stream that runs far ahead (overload).
  const caughtUp = async (windows: number) => {
    while (scored.length < windows) {
      if (performance.now() > deadline) throw new Error(`VAD scored ${scored.length} of ${windows} windows in time`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  try {
    for (let i = 0; i < samples.length; i += frame) {
      detector.push(samples.subarray(i, i + frame));
      await caughtUp(Math.floor((i + frame) / windowSamples) - 4);
    }
    await caughtUp(Math.floor(samples.length / windowSamples));
  } finally {
    await detector.close();
  }
  return scored;
}
