import type { AudioFormat } from '../../audio/format.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';

/**
 * A built-in agent that plays the caller's audio back to them through the playout buffer and media clock.
 * Useful to check a PBX's wiring end to end without any AI service.
 *
 * Caller frames arrive on Asterisk's 20 ms cadence and leave on ours; the two clocks have independent phase, so
 * the echo starts with 40 ms of silence as slack. Without it, arrival jitter around a tick would now and then
 * find the buffer empty and insert a silence frame mid-echo.
 */
export class EchoAgent implements VoiceAgent {
  readonly kind = 'echo';
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  #output: AgentOutput | undefined;
  #closed = false;
  #primed = false;

  constructor(format: AudioFormat) {
    this.inputFormat = format;
    this.outputFormat = format;
  }

  async start(_call: CallInfo, output: AgentOutput, _signal: AbortSignal): Promise<void> {
    this.#output = output;
  }

  sendAudio(chunk: Buffer): void {
    if (this.#closed || !this.#output) return;
    if (!this.#primed) {
      this.#primed = true;
      this.#output.audio(Buffer.alloc(chunk.length * 2), { utteranceId: 'echo' });
    }
    this.#output.audio(chunk, { utteranceId: 'echo' });
  }

  notify(_notice: CallNotice): void {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}
