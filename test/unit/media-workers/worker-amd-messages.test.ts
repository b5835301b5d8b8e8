import { describe, expect, it } from 'vitest';
import { workerAmdOf } from '../../../src/calls/media-workers/worker-amd.js';
import { resolveAmdSettings } from '../../../src/config/amd-config.js';
import { fromWorkerSchema, toWorkerSchema } from '../../../src/protocols/media-worker/messages.js';

const info = {
  callId: 'c1',
  direction: 'outbound',
  routeName: 'out',
  startedAt: new Date(0).toISOString(),
  customParameters: {},
} as const;

describe('answering-machine detection across the media worker channel', () => {
  it('carries a call’s AMD settings and Asterisk’s verdict to the worker, without the originate-only fields', () => {
    const settings = resolveAmdSettings({ mode: 'asterisk', greetingMs: 1200 }, { machine: 'message' })!;
    expect(settings.explicit).toBeDefined();
    const asterisk = { mode: 'asterisk', result: 'machine', cause: 'MAXWORDS', detail: 'MAXWORDS-3-3' } as const;
    const amd = workerAmdOf({ settings, asterisk })!;
    expect(amd).not.toHaveProperty('settings.explicit');
    expect(amd.settings).toMatchObject({ mode: 'asterisk', machine: 'message', greetingMs: 1200 });
    const open = { type: 'call.open', uuid: '3f2b6c1e-0000-4000-8000-000000000001', info: { ...info, amd } };
    // Through JSON, as over the IPC channel.
    expect(toWorkerSchema.parse(JSON.parse(JSON.stringify(open)))).toEqual(open);
    expect(workerAmdOf(undefined)).toBeUndefined();
    const bad = { ...open, info: { ...info, amd: { ...amd, asterisk: { ...asterisk, cause: 'SOMETHING' } } } };
    expect(toWorkerSchema.safeParse(bad).success).toBe(false);
  });

  it('lets a worker ask for the AMD ends of a call, and nothing else', () => {
    for (const reason of ['amd_machine', 'amd_message_left']) {
      const end = { type: 'call.end', callId: 'c1', reason };
      expect(fromWorkerSchema.parse(end)).toEqual(end);
    }
    expect(fromWorkerSchema.safeParse({ type: 'call.end', callId: 'c1', reason: 'control_hangup' }).success).toBe(
      false,
    );
  });
});
