import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectRealtimeSocket,
  defaultAuthScheme,
  realtimeUrl,
} from '../../../src/transports/realtime/connect-realtime-socket.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../../src/simulator/realtime/realtime-simulator.js';

const logger = pino({ level: 'silent' });
const KEY = 'sk-transport-key';

describe('connectRealtimeSocket', () => {
  let sim: RealtimeSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  const connect = (over: Partial<Parameters<typeof connectRealtimeSocket>[0]> = {}) =>
    connectRealtimeSocket({
      url: `${sim!.url}?model=m`,
      apiKey: KEY,
      auth: 'bearer',
      beta: false,
      callId: 'c1',
      connectTimeoutMs: 3000,
      signal: AbortSignal.timeout(5000),
      logger,
      ...over,
    });

  it('sends the key as a bearer token or an api-key header, the beta header on request, and nothing else', async () => {
    sim = await startRealtimeSimulator({ apiKey: KEY });
    const a = await connect();
    const b = await connect({ auth: 'api-key', beta: true });
    const c = await connect({ auth: 'none', apiKey: undefined });
    const [ha, hb, hc] = sim.handshakes.map((h) => h.headers);
    expect(ha).toMatchObject({ authorization: `Bearer ${KEY}` });
    expect(ha!['openai-beta']).toBeUndefined();
    expect(hb).toMatchObject({ 'api-key': KEY, 'openai-beta': 'realtime=v1' });
    expect(hb!.authorization).toBeUndefined();
    expect(hc!.authorization).toBeUndefined();
    expect(hc!['api-key']).toBeUndefined();
    // The events sent with the upgrade answer (session.created) are not lost.
    const texts: string[] = [];
    a.on('text', (t) => texts.push(t));
    await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(texts[0]!).type).toBe('session.created');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it.each([
    [{ status: 401, body: { error: { code: 'invalid_api_key' } } }, 'REALTIME_AUTH_FAILED', false],
    [
      { status: 429, body: { error: { type: 'insufficient_quota', code: 'insufficient_quota' } } },
      'REALTIME_QUOTA_EXCEEDED',
      false,
    ],
    [
      { status: 429, body: { error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } } },
      'REALTIME_RATE_LIMITED',
      true,
    ],
    [{ status: 503 }, 'REALTIME_HANDSHAKE_FAILED', true],
    [{ status: 404 }, 'REALTIME_HANDSHAKE_FAILED', false],
  ])('classifies the upgrade answer %j as %s (retryable %s)', async (answer, code, retryable) => {
    sim = await startRealtimeSimulator({ refuseConnection: () => answer });
    await expect(connect()).rejects.toMatchObject({ code, retryable, status: answer.status });
  });

  it('an unreachable server is retryable; a bad URL is not', async () => {
    await expect(
      connectRealtimeSocket({
        url: 'ws://127.0.0.1:1/v1/realtime',
        apiKey: undefined,
        auth: 'none',
        beta: false,
        callId: 'c',
        connectTimeoutMs: 2000,
        signal: AbortSignal.timeout(5000),
        logger,
      }),
    ).rejects.toMatchObject({ code: 'REALTIME_UNREACHABLE', retryable: true });
    await expect(
      connectRealtimeSocket({
        url: 'https://api.openai.com/v1/realtime',
        apiKey: undefined,
        auth: 'none',
        beta: false,
        callId: 'c',
        connectTimeoutMs: 2000,
        signal: AbortSignal.timeout(5000),
        logger,
      }),
    ).rejects.toMatchObject({ code: 'REALTIME_URL_INVALID', retryable: false });
  });

  it('builds the URL with the model unless one (or an Azure deployment) is given, and picks the auth by host', () => {
    expect(realtimeUrl('wss://api.openai.com/v1/realtime', 'gpt-realtime')).toBe(
      'wss://api.openai.com/v1/realtime?model=gpt-realtime',
    );
    expect(realtimeUrl('wss://x.example/v1/realtime?model=mine', 'gpt-realtime')).toBe(
      'wss://x.example/v1/realtime?model=mine',
    );
    expect(
      realtimeUrl('wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=d', 'm'),
    ).toBe('wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=d');
    expect(defaultAuthScheme('wss://r.openai.azure.com/openai/v1/realtime')).toBe('api-key');
    expect(defaultAuthScheme('wss://api.openai.com/v1/realtime')).toBe('bearer');
  });
});
