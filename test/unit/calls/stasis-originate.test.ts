import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Originator, originateFailure } from '../../../src/calls/stasis-originate.js';
import { resolveAmdSettings } from '../../../src/config/amd-config.js';
import { routeSchema } from '../../../src/config/routes.js';
import type { AppError } from '../../../src/errors/app-error.js';
import type { ContinueParams, OriginateParams } from '../../../src/transports/ari/channels-api.js';

const route = {
  ...routeSchema.parse({ name: 'out', agent: { kind: 'websocket', url: 'ws://a' } }),
  audioFormat: 'slin' as const,
};

function originator() {
  const failed = vi.fn();
  const originated = vi.fn();
  const channels = {
    originate: vi.fn(async (_p: OriginateParams) => ({}) as never),
    continueInDialplan: vi.fn(async (_id: string, _p: ContinueParams) => {}),
  };
  const o = new Originator({
    ari: { channels },
    app: 'ava',
    logger: pino({ level: 'silent' }),
    onOriginated: originated,
    onFailed: failed,
  });
  return { o, failed, originated, channels };
}

describe('originate', () => {
  it('maps Q.850 causes and dial status to stable codes', () => {
    expect(originateFailure(17, 'User busy', '').code).toBe('ORIGINATE_BUSY');
    expect(originateFailure(16, 'Normal', 'BUSY').code).toBe('ORIGINATE_BUSY');
    expect(originateFailure(19, 'No answer', '').code).toBe('ORIGINATE_NO_ANSWER');
    expect(originateFailure(0, 'Unknown', 'NOANSWER').code).toBe('ORIGINATE_NO_ANSWER');
    expect(originateFailure(34, 'Congestion', 'CONGESTION').code).toBe('ORIGINATE_FAILED');
  });

  it('a destroyed pending originate fails with the last dial status; an answered one is handed over once', async () => {
    const { o, failed, originated } = originator();
    const a = await o.start({ endpoint: 'PJSIP/a', route });
    expect(originated).toHaveBeenCalledWith(expect.objectContaining({ channelId: a.channelId, route: 'out' }));
    o.dialled(a.channelId, 'BUSY');
    expect(o.destroyed(a.channelId, 16, 'Normal Clearing')).toBe(true);
    await expect(a.answered).rejects.toMatchObject({ code: 'ORIGINATE_BUSY' });
    expect(failed).toHaveBeenCalledTimes(1);

    const b = await o.start({ endpoint: 'PJSIP/b', route, callId: 'call-b' });
    const pending = o.answered(b.channelId);
    expect(pending !== 'amd' && pending?.callId).toBe('call-b');
    expect(o.answered(b.channelId)).toBeUndefined();
    expect(o.destroyed(b.channelId, 16, 'Normal Clearing')).toBe(false);
  });

  it('amd mode asterisk: the answered channel goes to [ava-amd] and comes back with the AMD verdict', async () => {
    const { o, channels } = originator();
    const amd = resolveAmdSettings(undefined, { mode: 'asterisk', greetingMs: 2000 });
    const a = await o.start({ endpoint: 'PJSIP/a', route, amd, variables: { X: '1' } });
    expect(channels.originate.mock.calls[0]?.[0]).toMatchObject({
      app: 'ava',
      variables: { X: '1', AVA_APP: 'ava', AVA_AMD_GREETING: '2000' },
    });
    expect(channels.originate.mock.calls[0]?.[0].variables ?? {}).not.toHaveProperty('AVA_AMD_INITIAL_SILENCE');
    expect(o.answered(a.channelId, ['outbound', 'out'])).toBe('amd');
    expect(channels.continueInDialplan).toHaveBeenCalledWith(a.channelId, {
      context: 'ava-amd',
      extension: 's',
      priority: 1,
    });
    const back = o.answered(a.channelId, ['outbound-amd', 'MACHINE', 'LONGGREETING-2020-2000']);
    expect(back !== 'amd' && back?.amdResult).toEqual({
      mode: 'asterisk',
      result: 'machine',
      cause: 'LONGGREETING',
      detail: 'LONGGREETING-2020-2000',
    });

    // The callee hangs up during AMD(): the originate fails with its own code.
    const b = await o.start({ endpoint: 'PJSIP/b', route, amd });
    expect(o.answered(b.channelId)).toBe('amd');
    expect(o.destroyed(b.channelId, 16, 'Normal Clearing')).toBe(true);
    await expect(b.answered).rejects.toMatchObject({ code: 'ORIGINATE_AMD_HANGUP' });
  });

  it('close rejects what is still being dialled with SHUTTING_DOWN', async () => {
    const { o } = originator();
    const c = await o.start({ endpoint: 'PJSIP/c', route });
    o.close();
    const err = (await c.answered.catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('SHUTTING_DOWN');
    expect(o.has(c.channelId)).toBe(false);
  });
});
