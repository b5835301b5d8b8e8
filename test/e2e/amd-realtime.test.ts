import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveAmdSettings } from '../../src/config/amd-config.js';
import { type RealtimeHarness, startRealtimeHarness } from '../support/realtime-harness.js';

const MACHINE = fileURLToPath(new URL('../fixtures/amd/machine-01.wav', import.meta.url));

describe('answering-machine detection with an OpenAI Realtime agent (simulated Asterisk and Realtime server)', () => {
  let rt: RealtimeHarness | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it("route default amd: the model's instructions say machine and beep before its first turn; it leaves a message, the call ends", async () => {
    rt = await startRealtimeHarness({
      agent: { session: { instructions: 'You call customers about their booking.' } },
      route: { amd: { mode: 'asterisk', machine: 'message' } },
      sim: { script: () => ({ audioMs: 1000, transcript: 'Hi, this is Ava about your booking. Goodbye.' }) },
    });
    const { h, sim } = rt;
    h.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', {
      ringMs: 50,
      amd: { status: 'MACHINE', cause: 'LONGGREETING-1600-1500', delayMs: 200 },
      audio: { type: 'wav', path: MACHINE },
    });
    const route = h.app.routes.byName('realtime')!;
    const r = await h.app.stasis!.originate({
      endpoint: 'PJSIP/trunk',
      route,
      amd: resolveAmdSettings(route.amd, undefined),
    });
    const session = h.app.registry.get(r.callId)!;
    const s = await sim.waitForSession(0, 20_000);
    const update = await s.waitForReceived('session.update');
    const instructions = (update.session as { instructions: string }).instructions;
    expect(instructions.startsWith('You call customers about their booking.\n\n')).toBe(true);
    expect(instructions).toContain('result: machine (cause LONGGREETING)');
    expect(instructions).toContain('its beep has sounded');
    // No greeting on the route: the machine still gets a first turn, the message.
    const create = await s.waitForReceived('response.create');
    expect((create.response as { instructions: string }).instructions).toContain('Leave your voicemail message now.');
    await session.done;
    expect(session.endSummary?.reason).toBe('amd_message_left');
  });
});
