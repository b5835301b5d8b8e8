import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { type ApiEnv, CONTROL_TOKEN, READ_TOKEN, startApiEnv } from '../integration/http/http-test-env.js';
import { until } from '../support/wait.js';

const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output, checked by the assertions
  json: any;
}

describe('ava call … against a running instance', () => {
  let env: ApiEnv;
  let url = '';

  beforeAll(async () => {
    env = await startApiEnv();
    env.h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 20 });
    url = `http://127.0.0.1:${env.h.app.http!.address!.port}`;
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  }, 60_000);

  function ava(args: string[], token: string | null = CONTROL_TOKEN): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [AVA, ...args],
        {
          env: { PATH: process.env.PATH ?? '', AVA_URL: url, ...(token ? { AVA_TOKEN: token } : {}) },
          timeout: 60_000,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          let json: unknown;
          try {
            json = stdout ? JSON.parse(stdout) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ code, stdout, stderr, json });
        },
      );
    });
  }

  it('starts, controls, lists and gets a call; errors go to stderr with documented exit codes', async () => {
    const start = await ava([
      'call',
      'start',
      '--endpoint',
      'PJSIP/trunk',
      '--var',
      'X_A=1',
      '--idempotency-key',
      'cli-1',
    ]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(EXIT.ok);
    expect(start.json).toEqual({ callId: expect.any(String), channelId: expect.any(String) });
    const callId = start.json.callId as string;
    await until(
      async () => (env.h.app.registry.get(callId)?.state === 'active' ? true : undefined),
      20_000,
      'call active',
    );

    const dtmf = await ava(['call', 'dtmf', callId, '123']);
    expect([dtmf.code, dtmf.json]).toEqual([EXIT.ok, { sent: 3 }]);
    const play = await ava(['call', 'play', callId, 'sound:hello-world']);
    expect(play.code).toBe(EXIT.ok);
    expect(play.json.playbackId).toEqual(expect.any(String));
    const message = await ava(['call', 'send-message', callId, 'hello']);
    expect(message.code).toBe(EXIT.failure);
    expect(message.stdout).toBe('');
    expect(message.stderr).toContain('CONTROL_FAILED');

    const list = await ava(['call', 'list', '--direction', 'outbound', '--limit', '10'], READ_TOKEN);
    expect(list.code).toBe(EXIT.ok);
    expect(list.json.items.map((c: { id: string }) => c.id)).toContain(callId);

    const denied = await ava(['call', 'hangup', callId], READ_TOKEN);
    expect(denied.code).toBe(EXIT.denied);
    expect(denied.stderr).toContain('FORBIDDEN');
    const noToken = await ava(['call', 'get', callId], null);
    expect(noToken.code).toBe(EXIT.denied);

    const hangup = await ava(['call', 'hangup', callId, '--reason', 'done']);
    expect([hangup.code, hangup.json]).toEqual([EXIT.ok, { ended: true }]);
    await until(
      async () => {
        const got = await ava(['call', 'get', callId], READ_TOKEN);
        return got.json?.call?.endedAt ? got : undefined;
      },
      20_000,
      'call ended in the record',
    );
    const get = await ava(['call', 'get', callId], READ_TOKEN);
    expect(get.json.call).toMatchObject({ id: callId, direction: 'outbound' });
    expect(get.json.events.length).toBeGreaterThan(0);

    const again = await ava(['call', 'hangup', callId]);
    expect(again.code).toBe(EXIT.notFound);
    expect(again.stderr).toContain('CALL_ENDED');
    const invalid = await ava(['call', 'dtmf', callId, 'xyz']);
    expect(invalid.code).toBe(EXIT.usage);
    expect(invalid.stderr).toContain('body.digits');
    const usage = await ava(['call', 'start']);
    expect(usage.code).toBe(EXIT.usage);
    const help = await ava(['call', 'transfer', '--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toContain('Usage: ava call transfer');
  }, 120_000);

  it('call start --amd: the originate asks for AMD through REST and the queue; the verdict is in the call record', async () => {
    env.h.sim.setEndpointBehaviour('PJSIP/amd', 'answer', {
      ringMs: 20,
      amd: { status: 'MACHINE', cause: 'LONGGREETING-1600-1500', delayMs: 100 },
    });
    const start = await ava([
      'call',
      'start',
      '--endpoint',
      'PJSIP/amd',
      '--amd',
      'asterisk',
      '--amd-json',
      '{"greetingMs":1500}',
    ]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(EXIT.ok);
    const callId = start.json.callId as string;
    const got = await until(
      async () => {
        const r = await ava(['call', 'get', callId], READ_TOKEN);
        return r.json?.call?.endedAt ? r : undefined;
      },
      20_000,
      'call ended in the record',
    );
    expect(got.json.call).toMatchObject({ closeReason: 'amd_machine' });
    const amd = got.json.events.find((e: { type: string }) => e.type === 'call.amd_result');
    expect(amd?.payload).toMatchObject({ mode: 'asterisk', result: 'machine', cause: 'LONGGREETING' });

    const bad = await ava(['call', 'start', '--endpoint', 'PJSIP/amd', '--amd-json', '{"mode":"guess"}']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('amd.mode');
  }, 60_000);
});
