import type { AudioFormat } from '../../audio/format.js';
import type { AgentOutput, CallInfo, CallNotice, VoiceAgent } from '../voice-agent.js';

/**
 * A built-in agent that plays the caller's audio back to them through the playout buffer and media clock.
 * Useful to check a PBX's wiring end to end without any AI service.
 */
export class EchoAgent implements VoiceAgent {
  readonly kind = 'echo';
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  #output: AgentOutput | undefined;
  #closed = false;

  constructor(format: AudioFormat) {
    this.inputFormat = format;
    this.outputFormat = format;
  }

  async start(_call: CallInfo, output: AgentOutput, _signal: AbortSignal): Promise<void> {
    this.#output = output;
  }

  sendAudio(chunk: Buffer): void {
    if (!this.#closed) this.#output?.audio(chunk, { utteranceId: 'echo' });
  }

  notify(_notice: CallNotice): void {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}
