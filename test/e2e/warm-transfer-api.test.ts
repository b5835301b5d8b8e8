import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { HttpReceiver } from '../fakes/jobs-http-receiver.js';
import { type ApiEnv, CONTROL_TOKEN, control, startApiEnv } from '../integration/http/http-test-env.js';
import { until, waitFor } from '../support/wait.js';

const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));
const SECRET = 'warm_transfer_webhook_secret_0123';

/** Runs `ava` against the instance; resolves with its exit code and parsed stdout. */
function ava(url: string, args: string[]): Promise<{ code: number; json: unknown; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AVA, ...args],
      { env: { PATH: process.env.PATH ?? '', AVA_URL: url, AVA_TOKEN: CONTROL_TOKEN }, timeout: 60_000 },
      (err, stdout, stderr) => {
        let json: unknown;
        try {
          json = stdout ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, json, stderr });
      },
    );
  });
}
const PERSON = 'PJSIP/200';
const STEPS = [
  'call.transfer_started',
  'call.transfer_ringing',
  'call.transfer_answered',
  'call.transfer_summary_played',
  'call.transfer_completed',
];

describe('warm transfer started through REST', () => {
  let env: ApiEnv | undefined;
  let receiver: HttpReceiver | undefined;
  afterEach(async () => {
    await env?.close();
    await receiver?.close();
    env = undefined;
    receiver = undefined;
  });

  it('runs every step as a stored event and a signed webhook, in order, and the call is recorded as transferred', async () => {
    receiver = await HttpReceiver.start(SECRET, () => ({ status: 204 }));
    env = await startApiEnv(
      { WEBHOOK_URL: receiver.url('/hooks'), WEBHOOK_SECRET: SECRET },
      {
        routesJson: {
          routes: [
            {
              name: 'desk',
              agent: { kind: 'echo' },
              transfer: { warm: { hold: 'moh', prompt: ['sound:transfer-intro'] } },
            },
          ],
        },
      },
    );
    const { h } = env;
    h.sim.setEndpointBehaviour(PERSON, 'answer', { ringMs: 100 });
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h.app.registry.size === 1 && h.app.registry.list()[0]!.state === 'active', 10_000);
    const callId = h.app.registry.list()[0]!.id;
    const http = h.app.http!.fastify;

    // Warm-only fields without mode warm are refused by the call's owner with a clear message; nothing is dialled.
    const bad = await http.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: control,
      payload: { target: PERSON, summary: 'needs mode warm' },
    });
    expect(bad.statusCode).toBe(409);
    expect(bad.json().error.message).toContain('mode "warm"');

    const res = await http.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: control,
      payload: { target: PERSON, mode: 'warm', reason: 'billing question' },
    });
    expect(res.statusCode).toBe(200);
    const { accepted, transferId } = res.json() as { accepted: boolean; transferId: string };
    expect(accepted).toBe(true);
    expect(transferId).toMatch(/^[0-9a-f-]{36}$/);

    const isOurs = (r: { json: unknown }) => (r.json as { callId?: string } | null)?.callId === callId;
    const typeOf = (r: { json: unknown }) => (r.json as { type: string }).type;
    await receiver.waitFor((reqs) => reqs.some((r) => isOurs(r) && typeOf(r) === 'call.ended'), 30_000);
    const hooks = receiver.requests.filter(isOurs);
    expect(hooks.every((r) => r.signature.valid)).toBe(true);
    const types = hooks.map(typeOf);
    expect(types.filter((t) => t.startsWith('call.transfer_'))).toEqual(STEPS);
    expect(types.indexOf('call.transfer_completed')).toBeLessThan(types.indexOf('call.ended'));
    const started = hooks.find((r) => typeOf(r) === 'call.transfer_started')!.json as { data: unknown };
    expect(started.data).toMatchObject({ transferId, target: PERSON, hold: 'moh', reason: 'billing question' });
    const ended = hooks.find((r) => typeOf(r) === 'call.ended')!.json as { data: unknown };
    expect(ended.data).toMatchObject({ closeReason: 'transferred' });

    const db = h.app.db!;
    const rows = await until(
      async () => {
        const r = await new CallEventsRepository(db).listByCall(callId);
        return r.at(-1)?.type === 'call.ended' ? r : undefined;
      },
      20_000,
      'stored events',
    );
    expect(rows.map((r) => r.type).filter((t) => t.startsWith('call.transfer_'))).toEqual(STEPS);
    const call = await new CallsRepository(db).get(callId);
    expect(call).toMatchObject({ closeReason: 'transferred' });

    // The caller is now with the person; a transfer on the ended call is refused.
    const again = await http.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      headers: control,
      payload: { target: PERSON, mode: 'warm' },
    });
    expect(again.statusCode).toBeGreaterThanOrEqual(400);
    expect(caller.alive).toBe(true);
    await caller.hangup();
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, 10_000, 'nothing left');
  }, 60_000);

  it('ava call transfer --warm: a busy person gives call.transfer_failed with the Q.850 cause, the caller stays', async () => {
    receiver = await HttpReceiver.start(SECRET, () => ({ status: 204 }));
    env = await startApiEnv(
      { WEBHOOK_URL: receiver.url('/hooks'), WEBHOOK_SECRET: SECRET },
      { routesJson: { routes: [{ name: 'desk', agent: { kind: 'echo' } }] } },
    );
    const { h } = env;
    h.sim.setEndpointBehaviour(PERSON, 'busy');
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h.app.registry.size === 1 && h.app.registry.list()[0]!.state === 'active', 10_000);
    const session = h.app.registry.list()[0]!;
    const callBridge = h.sim.bridges()[0]!.id;
    const url = `http://127.0.0.1:${h.app.http!.address!.port}`;

    const run = await ava(url, [
      'call',
      'transfer',
      session.id,
      PERSON,
      '--warm',
      '--prompt',
      'sound:transfer-intro',
      '--reason',
      'escalation',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { transferId } = run.json as { accepted: boolean; transferId: string };
    expect(run.json).toMatchObject({ accepted: true });

    const isFailed = (r: { json: unknown }) => (r.json as { type?: string } | null)?.type === 'call.transfer_failed';
    await receiver.waitFor((reqs) => reqs.some(isFailed), 30_000);
    const failed = receiver.requests.find(isFailed)!.json as { callId: string; data: unknown };
    expect(failed.callId).toBe(session.id);
    expect(failed.data).toMatchObject({ transferId, reason: 'busy', hangupCause: 17 });
    await waitFor(() => caller.bridgeId === callBridge && h.sim.bridges().length === 1, 10_000, 'caller back');
    expect(session.state).toBe('active');
    await caller.hangup();
    await session.done;
  }, 60_000);
});
