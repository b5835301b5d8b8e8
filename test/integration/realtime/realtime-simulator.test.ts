import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ulawEncode } from '../../../src/audio/g711.js';
import { generateTone } from '../../../src/audio/tone-analysis.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../../src/simulator/realtime/realtime-simulator.js';

/** A bare WebSocket client speaking the GA protocol to the simulator. */
class RawClient {
  readonly events: Array<Record<string, unknown>> = [];
  readonly #ws: WebSocket;
  readonly #waiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (d) => {
      this.events.push(JSON.parse(d.toString()) as Record<string, unknown>);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    const ws = new WebSocket(url, { headers });
    const client = new RawClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(event: Record<string, unknown>): void {
    this.#ws.send(JSON.stringify(event));
  }

  async next(type: string, match: (e: Record<string, unknown>) => boolean = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const e = this.events.find((x) => x.type === type && match(x));
      if (e) return e;
      if (Date.now() > deadline) throw new Error(`no ${type}; got ${this.events.map((x) => x.type).join(', ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.#ws.close();
  }
}

const KEY = 'sk-sim-key';
const MULAW_SESSION = {
  type: 'realtime',
  audio: {
    input: { format: { type: 'audio/pcmu' }, transcription: { model: 'gpt-4o-mini-transcribe' } },
    output: { format: { type: 'audio/pcmu' } },
  },
};

describe('Realtime simulator', () => {
  let sim: RealtimeSimulator | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim?.close();
    sim = undefined;
  });

  async function client(
    headers: Record<string, string> = { Authorization: `Bearer ${KEY}` },
    query = '?model=gpt-realtime',
  ) {
    const c = await RawClient.open(`${sim!.url}${query}`, headers);
    clients.push(c);
    return c;
  }

  it('session lifecycle: created, update validated (unknown parameters refused), updated echoes formats', async () => {
    sim = await startRealtimeSimulator({ apiKey: KEY });
    const c = await client();
    await c.next('session.created');
    c.send({ type: 'session.update', event_id: 'u1', session: { ...MULAW_SESSION, temperature: 0.8 } });
    const refused = await c.next('error');
    expect(refused.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'unknown_parameter',
      message: "Unknown parameter: 'session.temperature'.",
      event_id: 'u1',
    });
    c.send({ type: 'session.update', session: MULAW_SESSION });
    const updated = await c.next('session.updated');
    expect(updated.session).toMatchObject({
      audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } },
    });
  });

  it('server VAD from the energy of appended μ-law audio: speech_started/stopped, transcription, a response', async () => {
    sim = await startRealtimeSimulator({
      apiKey: KEY,
      callerTranscript: () => 'hello',
      speed: Number.POSITIVE_INFINITY,
    });
    const c = await client();
    c.send({ type: 'session.update', session: MULAW_SESSION });
    await c.next('session.updated');
    const silence = ulawEncode(new Int16Array(160));
    const tone = ulawEncode(generateTone({ rate: 8000, freq: 300, amplitude: 6000, ms: 20 }));
    const frames = [...Array(25).fill(silence), ...Array(40).fill(tone), ...Array(40).fill(silence)];
    for (const f of frames) c.send({ type: 'input_audio_buffer.append', audio: (f as Buffer).toString('base64') });
    const started = await c.next('input_audio_buffer.speech_started');
    // Voiced from 500 ms, reported with the 300 ms prefix padding.
    expect(started.audio_start_ms).toBe(200);
    const stopped = await c.next('input_audio_buffer.speech_stopped');
    expect(stopped.audio_end_ms).toBe(1300);
    expect(stopped.item_id).toBe(started.item_id);
    const transcript = await c.next('conversation.item.input_audio_transcription.completed');
    expect(transcript).toMatchObject({ item_id: started.item_id, transcript: 'hello' });
    await c.next('response.done');
    const deltas = c.events.filter((e) => e.type === 'response.output_audio.delta');
    // 1500 ms of μ-law: 8 bytes per ms.
    expect(deltas.reduce((n, e) => n + Buffer.from(String(e.delta), 'base64').length, 0)).toBe(12_000);
  });

  it('refuses a truncate beyond the audio the item has, accepts one within it', async () => {
    sim = await startRealtimeSimulator({ apiKey: KEY, speed: Number.POSITIVE_INFINITY });
    const c = await client();
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    await c.next('session.updated');
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    const item = (done.response as { output: Array<{ id: string }> }).output[0]!;
    c.send({
      type: 'conversation.item.truncate',
      event_id: 't1',
      item_id: item.id,
      content_index: 0,
      audio_end_ms: 1600,
    });
    const err = await c.next('error');
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      message: 'Audio content of 1500ms is already shorter than 1600ms',
      event_id: 't1',
    });
    c.send({ type: 'conversation.item.truncate', item_id: item.id, content_index: 0, audio_end_ms: 1500 });
    expect(await c.next('conversation.item.truncated')).toMatchObject({ item_id: item.id, audio_end_ms: 1500 });
    expect(sim.sessions[0]!.truncations.map((t) => t.accepted)).toEqual([false, true]);
  });

  it('refuses a function_call_output for an unknown call and for one whose response is not done; accepts it after', async () => {
    sim = await startRealtimeSimulator({
      apiKey: KEY,
      speed: Number.POSITIVE_INFINITY,
      script: () => ({
        functionCalls: [{ name: 'lookup', arguments: { q: 1 }, callId: 'call_1' }],
        responseDoneDelayMs: 300,
      }),
    });
    const c = await client();
    c.send({ type: 'response.create' });
    await c.next('response.function_call_arguments.done');
    const output = (callId: string) => ({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: callId, output: '{}' },
    });
    c.send(output('call_unknown'));
    c.send(output('call_1'));
    await c.next('error', (e) => (e.error as { message: string }).message.includes('call_1'));
    const errors = c.events.filter((e) => e.type === 'error').map((e) => e.error as { code: string; message: string });
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'invalid_tool_call_id',
        message: "Tool call ID 'call_unknown' not found in conversation.",
      }),
      expect.objectContaining({
        code: 'invalid_tool_call_id',
        message: "Tool call ID 'call_1' not found in conversation.",
      }),
    ]);
    await c.next('response.done');
    c.send(output('call_1'));
    await c.next('conversation.item.added', (e) => (e.item as { type: string }).type === 'function_call_output');
    expect(sim.sessions[0]!.functionOutputs).toEqual([{ callId: 'call_1', output: '{}' }]);
  });

  it('cancel: stops an active response; with none active answers response_cancel_not_active', async () => {
    sim = await startRealtimeSimulator({ apiKey: KEY, speed: 1, defaultAudioMs: 5000 });
    const c = await client();
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta');
    c.send({ type: 'response.create' });
    expect((await c.next('error')).error).toMatchObject({ code: 'conversation_already_has_active_response' });
    c.send({ type: 'response.cancel' });
    const done = await c.next('response.done');
    expect(done.response).toMatchObject({ status: 'cancelled', status_details: { reason: 'client_cancelled' } });
    c.send({ type: 'response.cancel' });
    await c.next('error', (e) => (e.error as { code: string }).code === 'response_cancel_not_active');
  });

  it('a wrong key: an error event then close, or HTTP 401 with a JSON body; a missing model is refused', async () => {
    sim = await startRealtimeSimulator({ apiKey: KEY });
    const c = await client({ Authorization: 'Bearer sk-wrong' });
    expect((await c.next('error')).error).toMatchObject({ code: 'invalid_api_key' });
    const azure = await client({ 'api-key': KEY }, '?deployment=my-deployment');
    await azure.next('session.created');
    const noModel = await client(undefined, '');
    expect((await noModel.next('error')).error).toMatchObject({ code: 'missing_model' });
    await sim.close();
    sim = await startRealtimeSimulator({ apiKey: KEY, authFailure: 'http' });
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${sim!.url}?model=m`, { headers: { Authorization: 'Bearer sk-wrong' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
    expect(sim.handshakes.map((h) => h.outcome)).toEqual(['refused_key']);
  });
});
