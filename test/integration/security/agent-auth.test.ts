import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WaitingCalls } from '../../../src/calls/agents/waiting-calls.js';
import { type AgentWebRtcEndpoint, mountAgentWebRtcEndpoint } from '../../../src/http/agent-webrtc-endpoint.js';
import { checkWebhookSignature, signWebhookPayload } from '../../../src/jobs/webhook-signature.js';
import { computeAgentSignature, signAgentRequest } from '../../../src/protocols/agent/signing.js';
import { startNativeEchoAgent } from '../../../src/simulator/agents/native-echo-agent.js';
import { startTwilioDialectAgent } from '../../../src/simulator/agents/twilio-dialect-agent.js';

const SECRET = 'agent-auth-secret-0123';
const CALL_ID = '11111111-2222-3333-4444-555555555555';

/** The HTTP status of a WebSocket upgrade (101 when it opened). */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(-1));
  });
}

type BadRequest = { name: string; headers: (url: string) => Record<string, string> };

const nowSec = () => Math.floor(Date.now() / 1000);
const sig = (url: string, t: number, secret = SECRET) => `v1=${computeAgentSignature(secret, String(t), url)}`;

/** Requests an agent must refuse: unsigned, wrongly signed, replayed or signed for something else. */
const BAD: BadRequest[] = [
  { name: 'no headers', headers: () => ({}) },
  { name: 'timestamp only', headers: () => ({ 'X-Ava-Timestamp': String(nowSec()) }) },
  {
    name: 'wrong secret',
    headers: (url) => ({ 'X-Ava-Timestamp': String(nowSec()), 'X-Ava-Signature': sig(url, nowSec(), 'nope') }),
  },
  {
    name: 'stale timestamp (10 min old)',
    headers: (url) => ({ 'X-Ava-Timestamp': String(nowSec() - 600), 'X-Ava-Signature': sig(url, nowSec() - 600) }),
  },
  {
    name: 'future timestamp (10 min ahead)',
    headers: (url) => ({ 'X-Ava-Timestamp': String(nowSec() + 600), 'X-Ava-Signature': sig(url, nowSec() + 600) }),
  },
  {
    name: 'signed for another path',
    headers: (url) => ({ 'X-Ava-Timestamp': String(nowSec()), 'X-Ava-Signature': sig(`${url}other`, nowSec()) }),
  },
  {
    name: 'signed timestamp differs from the header',
    headers: (url) => ({ 'X-Ava-Timestamp': String(nowSec()), 'X-Ava-Signature': sig(url, nowSec() - 1) }),
  },
  {
    name: 'unknown scheme',
    headers: (url) => ({
      'X-Ava-Timestamp': String(nowSec()),
      'X-Ava-Signature': sig(url, nowSec()).replace('v1=', 'v0='),
    }),
  },
  { name: 'malformed signature', headers: () => ({ 'X-Ava-Timestamp': String(nowSec()), 'X-Ava-Signature': 'v1=zz' }) },
  {
    name: 'malformed timestamp',
    headers: (url) => ({ 'X-Ava-Timestamp': 'yesterday', 'X-Ava-Signature': sig(url, nowSec()) }),
  },
];

describe('agent-facing endpoints refuse unauthenticated and wrongly signed requests', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const kind of ['native', 'twilio'] as const) {
    it(`the ${kind} example agent answers 401 to every bad signature and 101 to a good one`, async () => {
      const agent =
        kind === 'native'
          ? await startNativeEchoAgent({ mode: 'echo', secret: SECRET })
          : await startTwilioDialectAgent({ mode: 'echo', secret: SECRET });
      cleanups.push(() => agent.close());
      const url = agent.url;
      for (const bad of BAD) {
        expect(await upgradeStatus(url, bad.headers(url)), bad.name).toBe(401);
      }
      expect(agent.rejectedHandshakes).toHaveLength(BAD.length);
      expect(agent.sessions).toHaveLength(0);
      const good = signAgentRequest({ secret: SECRET, url, callId: CALL_ID });
      expect(await upgradeStatus(url, { ...good })).toBe(101);
    });
  }

  it('the WebRTC agent endpoint answers 401 without the right bearer or access token', async () => {
    const TOKEN = 'webrtc-agent-token-xyz';
    const http: Server = createServer((_req, res) => res.writeHead(404).end());
    const endpoint: AgentWebRtcEndpoint = mountAgentWebRtcEndpoint(http, {
      waitingCalls: new WaitingCalls(),
      authenticate: (t) => t === TOKEN,
      logger: pino({ level: 'silent' }),
    });
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    cleanups.push(() => new Promise((done) => http.close(done)));
    cleanups.push(() => endpoint.close());
    const base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1/agent/webrtc`;
    expect(await upgradeStatus(base, {})).toBe(401);
    expect(await upgradeStatus(`${base}?access_token=wrong`, {})).toBe(401);
    expect(await upgradeStatus(base, { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await upgradeStatus(base, { Authorization: TOKEN })).toBe(401);
    expect(await upgradeStatus(`${base}?access_token=${TOKEN}x`, {})).toBe(401);
    expect(await upgradeStatus(base, { Authorization: `Bearer ${TOKEN}` })).toBe(101);
  });
});

describe('webhook signatures are verifiable and nothing else verifies', () => {
  const body = fc.string({ minLength: 1, maxLength: 500 });
  const secret = fc.string({ minLength: 8, maxLength: 64 });
  const t = fc.integer({ min: 1_600_000_000, max: 2_000_000_000 });

  it('a signed body verifies; another secret, a changed body or an old timestamp does not (1000 cases each)', () => {
    fc.assert(
      fc.property(secret, secret, body, fc.nat(), t, (s1, s2, b, pos, ts) => {
        const header = signWebhookPayload(s1, b, ts);
        expect(checkWebhookSignature(s1, header, b, 300, ts)).toEqual({ valid: true, timestamp: ts });
        if (s2 !== s1) expect(checkWebhookSignature(s2, header, b, 300, ts).valid).toBe(false);
        const bytes = Buffer.from(b);
        const at = pos % bytes.length;
        bytes[at] = bytes[at]! ^ 0x01;
        expect(checkWebhookSignature(s1, header, bytes, 300, ts).valid).toBe(false);
        expect(checkWebhookSignature(s1, header, b, 300, ts + 301)).toEqual({
          valid: false,
          reason: 'timestamp_out_of_tolerance',
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('hostile headers never throw and never verify', () => {
    fc.assert(
      fc.property(
        secret,
        body,
        fc.oneof(fc.string(), fc.constantFrom('t=1,v1=', 't=,v1=00', ',', '=', 't=99999999999999')),
        (s, b, header) => {
          expect(checkWebhookSignature(s, header, b, 300).valid).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
