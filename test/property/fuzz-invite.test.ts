import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AgentInvites } from '../../src/calls/agent-invites.js';
import type { OriginateRequest } from '../../src/calls/stasis-originate.js';
import { routeSchema } from '../../src/config/routes.js';
import { type AdapterEvent, parseAgentMessage } from '../../src/protocols/agent/index.js';
import type { AgentSocket } from '../../src/transports/agent-ws/agent-socket.js';
import { hostileText, withDiscriminator } from './fuzz-properties.js';

/** Cases per property: 1000 in CI; `scripts/fuzz-long.ts` sets FUZZ_MULTIPLIER for long runs. */
const RUNS = Math.round(1000 * Number(process.env.FUZZ_MULTIPLIER ?? 1));

const route = { ...routeSchema.parse({ name: 'r1', agent: { kind: 'echo' } }), audioFormat: 'slin' as const };
const TOKEN_DIALABLE = ['PJSIP/allowed*'];

/** The part of an agent socket the invite handler uses, recording what it is sent. */
class FakeSocket extends EventEmitter {
  readonly sent: AdapterEvent[] = [];
  isOpen = true;
  sendJson(event: AdapterEvent): void {
    this.sent.push(event);
  }
  async close(): Promise<void> {
    this.isOpen = false;
  }
}

/** Invite bodies near the valid ones: real field names with hostile or almost-right values. */
const inviteLike = fc
  .record(
    {
      callee: fc.oneof(
        fc.constantFrom('PJSIP/allowed1', 'PJSIP/other', 'PJSIP/allowed1&PJSIP/x', 'PJSIP/allowed,1', 'allowed1', ''),
        fc.string(),
        fc.integer(),
      ),
      callerId: fc.oneof(fc.string(), fc.constantFrom('"A" <1>', 'a\u0000b'), fc.integer()),
      timeout: fc.oneof(fc.integer({ min: -5, max: 700 }), fc.double(), fc.string()),
      route: fc.oneof(fc.constantFrom('r1', 'nope', 'a b'), fc.string()),
      customParameters: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), fc.string()),
      audio: fc.oneof(
        fc.record(
          { sampleRate: fc.constantFrom(8000, 16000, 24000, 44100, '16000'), frameMs: fc.constantFrom(20, 30, 100) },
          { requiredKeys: [] },
        ),
        fc.json(),
      ),
    },
    { requiredKeys: [] },
  )
  .map((body) => JSON.stringify({ command: 'invite', ...body }));

/** Valid invites, to allowed and other callees (the handler must place exactly the allowed ones). */
const validInvite = fc
  .record(
    {
      callee: fc.constantFrom('PJSIP/allowed1', 'PJSIP/allowed+4930@trunk', 'PJSIP/other', 'Local/1@ctx'),
      route: fc.constant('r1'),
      timeout: fc.integer({ min: 1, max: 600 }),
      audio: fc.record({ sampleRate: fc.constantFrom(8000, 16000, 24000) }),
    },
    { requiredKeys: ['callee'] },
  )
  .map((body) => JSON.stringify({ command: 'invite', ...body }));

const inviteText = fc.oneof(hostileText(withDiscriminator('command', ['invite'])), inviteLike, validInvite);

/** Whether the text is an invite the handler must place: valid, on a known route, to an allowed callee. */
function shouldPlace(text: string): string | undefined {
  const r = parseAgentMessage(text);
  if (!r.ok || r.command.command !== 'invite') return undefined;
  if (r.command.route !== undefined && r.command.route !== 'r1') return undefined;
  return r.command.callee.startsWith('PJSIP/allowed') ? r.command.callee : undefined;
}

describe('invite bodies from a hostile agent', () => {
  it(`always get one clear error event and no originate, unless valid and allowed (${RUNS} cases)`, async () => {
    const originated: OriginateRequest[] = [];
    let placed = 0;
    const invites = new AgentInvites({
      originate: () => async (request) => {
        originated.push(request);
        // Asterisk refuses: the socket gets a reject and stays usable.
        throw new Error('no Asterisk here');
      },
      routeByName: (name) => (name === 'r1' ? route : undefined),
      defaultRoute: route,
      tokenDialable: (name) => (name === 'bot' ? TOKEN_DIALABLE : undefined),
      callById: () => undefined,
      logger: pino({ level: 'silent' }),
    });
    await fc.assert(
      fc.asyncProperty(inviteText, async (text) => {
        originated.length = 0;
        const socket = new FakeSocket();
        invites.handle(socket as unknown as AgentSocket<AdapterEvent>, text, { name: 'bot' });
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        const place = shouldPlace(text);
        expect(socket.isOpen).toBe(true);
        expect(socket.sent).toHaveLength(1);
        const answer = socket.sent[0] as unknown as Record<string, unknown>;
        if (place === undefined) {
          expect(originated).toHaveLength(0);
          expect(answer.event).toBe('error');
          expect(answer.code).toMatch(
            /^(malformed_json|unknown_command|invalid_command|invalid_state|destination_not_allowed)$/,
          );
          expect(String(answer.message).length).toBeGreaterThan(0);
        } else {
          placed++;
          expect(originated.map((o) => o.endpoint)).toEqual([place]);
          expect(answer).toMatchObject({ event: 'reject', reason: 'failed' });
        }
        socket.emit('close', { code: 1000, reason: '', initiator: 'agent' });
        expect(invites.dialling).toBe(0);
      }),
      { numRuns: RUNS },
    );
    // Both branches were exercised: some bodies were valid, allowed invites.
    expect(placed).toBeGreaterThan(0);
  }, 120_000);

  it('a token without a dialable list (and a route without one) places nothing', async () => {
    let originates = 0;
    const invites = new AgentInvites({
      originate: () => async () => {
        originates++;
        throw new Error('unreachable');
      },
      routeByName: () => undefined,
      defaultRoute: route,
      tokenDialable: () => undefined,
      callById: () => undefined,
      logger: pino({ level: 'silent' }),
    });
    const socket = new FakeSocket();
    invites.handle(socket as unknown as AgentSocket<AdapterEvent>, '{"command":"invite","callee":"PJSIP/alice"}', {
      name: 'other',
    });
    await new Promise((r) => setImmediate(r));
    expect(originates).toBe(0);
    expect(socket.sent).toEqual([expect.objectContaining({ event: 'error', code: 'destination_not_allowed' })]);
  });

  it('a socket that places no call is closed after the idle timeout, with an error saying why', async () => {
    const invites = new AgentInvites({
      originate: () => undefined,
      routeByName: () => undefined,
      defaultRoute: route,
      tokenDialable: () => undefined,
      callById: () => undefined,
      idleTimeoutMs: 50,
      logger: pino({ level: 'silent' }),
    });
    const socket = new FakeSocket();
    invites.handle(socket as unknown as AgentSocket<AdapterEvent>, '{"command":"invite"}', { name: 'bot' });
    await new Promise((r) => setTimeout(r, 20));
    expect(socket.isOpen).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(socket.isOpen).toBe(false);
    expect(socket.sent.map((e) => (e as { code?: string }).code)).toEqual(['invalid_command', 'invalid_state']);
  });
});
