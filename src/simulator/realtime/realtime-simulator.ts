import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { onceAsync } from '../../lib/once.js';
import { ConditionWaiters } from '../agents/condition-waiters.js';
import { type ResponseScript, SimRealtimeSession } from './realtime-sim-session.js';
import { SimSipCalls, type SimSipCallsOptions } from './sim-sip-calls.js';
import { DEFAULT_SIM_VOICE, type SimVoice, SimVoiceRenderer } from './sim-voice.js';

export interface RealtimeSimulatorOptions {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** When set, connections must carry it (`Authorization: Bearer …` or `api-key: …`). */
  readonly apiKey?: string;
  /**
   * How a wrong key is refused: `event` (default) accepts the upgrade, sends an `invalid_api_key` error event and
   * closes, as the service was seen to do; `http` answers the upgrade with 401 and a JSON error body.
   */
  readonly authFailure?: 'event' | 'http';
  /** Refuses connection number `n` (1-based) with this HTTP answer, e.g. `{ status: 503 }`. */
  readonly refuseConnection?: (n: number) => { status: number; body?: unknown } | undefined;
  /** The model's voice. Default a 440 Hz tone. */
  readonly voice?: SimVoice;
  /** Audio of a response when the script gives no plan. Default 1500 ms. */
  readonly defaultAudioMs?: number;
  /** Audio per `output_audio.delta`. Default 100 ms. */
  readonly deltaMs?: number;
  /** Generation speed relative to real time. Default 8 (the service answers faster than real time). */
  readonly speed?: number;
  /** What each response does; undefined falls back to a spoken default answer. */
  readonly script?: ResponseScript;
  /** Transcript of caller turn `turn` (1-based). Default `Caller turn N.` */
  readonly callerTranscript?: (turn: number, durationMs: number) => string;
  /** RMS threshold of the energy VAD (int16 scale). Default 500. */
  readonly vadThresholdRms?: number;
  /** Keep a timeline of events per session (default true). */
  readonly record?: boolean;
  /** Called for every new session. */
  readonly onSession?: (session: SimRealtimeSession) => void;
  /** The SIP side: where incoming-call webhooks go and how they are signed. */
  readonly sip?: SimSipCallsOptions;
}

/** An upgrade request the simulator saw, accepted or not. */
export interface SimHandshake {
  readonly path: string;
  readonly model: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly outcome: 'accepted' | 'refused_key' | 'refused';
}

export interface RealtimeSimulator {
  /** `ws://host:port/v1/realtime`: put it in a route's `url`. */
  readonly url: string;
  readonly port: number;
  readonly sessions: readonly SimRealtimeSession[];
  readonly handshakes: readonly SimHandshake[];
  /** SIP calls, their webhooks and the calls API (`/v1/realtime/calls/…`); sidebands connect with `?call_id=`. */
  readonly sip: SimSipCalls;
  waitForSession(index?: number, timeoutMs?: number): Promise<SimRealtimeSession>;
  /** Closes every connection (1001) and stops listening. Idempotent. */
  close(): Promise<void>;
}

function keyOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const k = req.headers['api-key'];
  return typeof k === 'string' ? k : undefined;
}

const BAD_KEY = {
  type: 'invalid_request_error',
  code: 'invalid_api_key',
  message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  param: null,
};

function httpAnswer(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? { error: { type: 'server_error', code: null, message: `HTTP ${status}` } });
  const reason = status === 401 ? 'Unauthorized' : status === 429 ? 'Too Many Requests' : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * A Realtime-compatible server for tests, the demo and the benchmark: WebSocket on `/v1/realtime` (any path
 * works), model from `?model=` (or Azure's `deployment`), API key checked when configured, one
 * `SimRealtimeSession` per connection. Needs no API key and no network.
 */
export async function startRealtimeSimulator(options: RealtimeSimulatorOptions = {}): Promise<RealtimeSimulator> {
  const host = options.host ?? '127.0.0.1';
  const sip = new SimSipCalls(options.sip);
  const http = createServer((req, res) => {
    if (sip.handle(req, res)) return;
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  const voice = new SimVoiceRenderer(options.voice ?? DEFAULT_SIM_VOICE);
  const sessions: SimRealtimeSession[] = [];
  const handshakes: SimHandshake[] = [];
  const sockets = new Set<WebSocket>();
  const waiters = new ConditionWaiters();
  let connections = 0;
  const sidebandCounts = new Map<string | undefined, number>();
  const sidebands = (callId: string | undefined): number => {
    const n = sidebandCounts.get(callId) ?? 0;
    sidebandCounts.set(callId, n + 1);
    return n;
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    connections += 1;
    const url = new URL(req.url ?? '/', `http://${host}`);
    const sipCallId = url.searchParams.get('call_id') ?? undefined;
    const sipCall = sipCallId === undefined ? undefined : sip.calls.get(sipCallId);
    const sideband = sipCall?.state === 'accepted' ? sipCall.acceptBody : undefined;
    const model =
      url.searchParams.get('model') ??
      url.searchParams.get('deployment') ??
      (sideband ? String(sideband.model ?? 'gpt-realtime') : undefined);
    if (sipCallId !== undefined && sideband === undefined) {
      handshakes.push({ path: url.pathname, model, headers: req.headers, outcome: 'refused' });
      httpAnswer(socket, 404, {
        error: { type: 'invalid_request_error', code: 'call_not_found', message: `No active call ${sipCallId}.` },
      });
      return;
    }
    const refused = options.refuseConnection?.(connections);
    if (refused) {
      handshakes.push({ path: url.pathname, model, headers: req.headers, outcome: 'refused' });
      httpAnswer(socket, refused.status, refused.body);
      return;
    }
    const badKey = options.apiKey !== undefined && keyOf(req) !== options.apiKey;
    if (badKey && options.authFailure === 'http') {
      handshakes.push({ path: url.pathname, model, headers: req.headers, outcome: 'refused_key' });
      httpAnswer(socket, 401, { error: BAD_KEY });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      if (badKey) {
        handshakes.push({ path: url.pathname, model, headers: req.headers, outcome: 'refused_key' });
        ws.send(JSON.stringify({ type: 'error', event_id: 'event_auth', error: { ...BAD_KEY, event_id: null } }));
        ws.close(1008, 'invalid_api_key');
        return;
      }
      handshakes.push({ path: url.pathname, model, headers: req.headers, outcome: 'accepted' });
      if (model === undefined) {
        const error = {
          type: 'invalid_request_error',
          code: 'missing_model',
          message: "Missing required parameter: 'model'.",
          param: 'model',
          event_id: null,
        };
        ws.send(JSON.stringify({ type: 'error', event_id: 'event_model', error }));
        ws.close(1008, 'missing_model');
        return;
      }
      const beta = String(req.headers['openai-beta'] ?? '').includes('realtime=v1');
      const session = new SimRealtimeSession(
        ws,
        {
          model,
          dialect: beta ? 'beta' : 'ga',
          voice,
          deltaMs: options.deltaMs ?? 100,
          speed: options.speed ?? 8,
          defaultAudioMs: options.defaultAudioMs ?? 1500,
          script: options.script,
          callerTranscript: options.callerTranscript,
          vadThresholdRms: options.vadThresholdRms,
          record: options.record ?? true,
          // One server session per SIP call: a reconnected sideband continues its item ids.
          ...(sideband ? { sideband, idBase: 100_000 * sidebands(sipCallId) } : {}),
        },
        `sess_${sessions.length + 1}`,
      );
      sessions.push(session);
      options.onSession?.(session);
      waiters.notify();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;

  return {
    url: `ws://${host}:${port}/v1/realtime`,
    port,
    sessions,
    handshakes,
    sip,
    waitForSession(index = 0, timeoutMs = 10_000) {
      return waiters.until(() => sessions[index], `realtime session ${index}`, timeoutMs);
    },
    close: onceAsync(async () => {
      waiters.close('simulator closed');
      sip.close();
      for (const ws of sockets) ws.close(1001, 'simulator closing');
      const deadline = setTimeout(() => {
        for (const ws of sockets) ws.terminate();
      }, 1000);
      await new Promise<void>((resolve) => {
        wss.close(() => resolve());
      });
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      clearTimeout(deadline);
    }),
  };
}
