import { type AudioFormat, PCM8K } from '../../src/audio/format.js';
import { type ClearResult, PlayoutBuffer } from '../../src/audio/playout-buffer.js';
import type { AgentAction, AgentOutput, CallInfo, VoiceAgent } from '../../src/calls/voice-agent.js';
import { realtimeAgentSchema } from '../../src/config/realtime-route.js';
import type { Route } from '../../src/config/routes.js';
import type { AppError } from '../../src/errors/app-error.js';

/** The bridge side an agent writes to, with a real playout buffer taken frame by frame by the test. */
export class FakeBridge implements AgentOutput {
  readonly playout: PlayoutBuffer;
  readonly actions: AgentAction[] = [];
  readonly failures: AppError[] = [];
  agent!: Pick<VoiceAgent, 'notify'>;

  /** `format`: the agent's output format (μ-law 8 kHz, a Realtime session's, by default). */
  constructor(format: AudioFormat = { encoding: 'ulaw', sampleRate: 8000 }) {
    this.playout = new PlayoutBuffer({ format, maxMs: 60_000 });
    this.playout.on('utteranceStart', (id) => this.agent.notify({ type: 'utteranceStart', utteranceId: id }));
    this.playout.on('utteranceEnd', (p) =>
      this.agent.notify({ type: 'utteranceEnd', utteranceId: p.utteranceId, playedMs: p.playedMs }),
    );
    this.playout.on('drained', () => this.agent.notify({ type: 'playoutDrained' }));
  }

  audio(data: Buffer, options?: { utteranceId?: string }): void {
    this.playout.push(data, options?.utteranceId);
  }
  endUtterance(id: string): void {
    this.playout.endUtterance(id);
  }
  mark(name: string): void {
    this.playout.mark(name);
  }
  interrupt(): ClearResult {
    const r = this.playout.clear();
    for (const u of r.utterances) {
      this.agent.notify({
        type: 'interruption',
        utteranceId: u.utteranceId,
        playedMs: u.playedMs,
        totalMs: u.playedMs + u.droppedMs,
      });
    }
    return r;
  }
  playedMs(id: string): number {
    return this.playout.playedMs(id);
  }
  async act(action: AgentAction): Promise<void> {
    this.actions.push(action);
  }
  fail(error: AppError): void {
    this.failures.push(error);
  }
  /** Plays `n` frames (20 ms each). */
  play(n: number): void {
    for (let i = 0; i < n; i++) this.playout.take();
  }
}

export function realtimeCallInfo(
  agent: Record<string, unknown>,
  customParameters: Record<string, string> = {},
): CallInfo {
  const route = {
    name: 'rt',
    match: {},
    agent: realtimeAgentSchema.parse({ kind: 'openai-realtime', ...agent }),
    audioFormat: 'slin',
    bargeIn: { enabled: true, protectGreeting: false },
    fallback: { action: 'hangup' },
    customParameters: {},
  } as unknown as Route;
  return {
    callId: 'call-agent-test',
    direction: 'inbound',
    caller: '100',
    callee: '200',
    route,
    legFormat: PCM8K,
    channelId: undefined,
    startedAt: new Date(),
    customParameters,
  };
}
