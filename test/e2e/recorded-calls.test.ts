import { afterEach, describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../src/db/call-events-repository.js';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { RecordingsRepository } from '../../src/db/recordings-repository.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { until, waitFor } from '../support/wait.js';

describe('calls recorded in MySQL and controlled through the job layer', () => {
  let h: AriHarness | undefined;
  let tmp: TempDatabase | undefined;
  let prefix = '';
  afterEach(async () => {
    await h?.stop();
    await tmp?.drop();
    await cleanRedis(REDIS_URL, prefix);
    h = undefined;
    tmp = undefined;
  });

  async function setup() {
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    h = await startAriHarness({
      DEFAULT_AGENT: 'echo',
      MYSQL_URL: tmp.url,
      REDIS_URL,
      JOBS_PREFIX: prefix,
      INSTANCE_ID: `test-${prefix}`,
    });
    return { calls: new CallsRepository(tmp.db), events: new CallEventsRepository(tmp.db) };
  }

  it('an inbound call leaves a complete record: row with final state and its events in order', async () => {
    const { calls, events } = await setup();
    const caller = await h!.sim.placeInboundCall({ caller: '+4930999', extension: '100' });
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const callId = h!.app.registry.list()[0]!.id;
    await caller.hangup();
    const row = await until(async () => {
      const r = await calls.get(callId);
      return r?.state === 'ended' ? r : undefined;
    });
    expect(row).toMatchObject({
      direction: 'inbound',
      fromNumber: '+4930999',
      toNumber: '100',
      route: 'default',
      closeReason: 'caller_hangup',
      hangupInitiator: 'caller',
    });
    const types = await until(async () => {
      const list = await events.listByCall(callId);
      return list.some((e) => e.type === 'call.ended') ? list.map((e) => e.type) : undefined;
    });
    expect(types[0]).toBe('call.created');
    expect(types).toContain('call.media_connected');
    expect(types).toContain('call.agent_connected');
    expect(types.at(-1)).toBe('call.ended');
    // Stored in emission order.
    const seqs = (await events.listByCall(callId)).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('control commands reach the call: hangup through the job layer ends it with reason control_hangup', async () => {
    const { calls } = await setup();
    const caller = await h!.sim.placeInboundCall();
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const callId = h!.app.registry.list()[0]!.id;
    const result = await h!.app.jobs!.controlClient.execute({ type: 'hangup', callId });
    expect(result).toEqual({ ended: true });
    await caller.ended;
    const row = await until(async () => {
      const r = await calls.get(callId);
      return r?.state === 'ended' ? r : undefined;
    });
    expect(row.closeReason).toBe('control_hangup');
    await expect(h!.app.jobs!.controlClient.execute({ type: 'hangup', callId })).rejects.toMatchObject({
      code: expect.stringMatching(/CALL_ENDED|CALL_NOT_FOUND|OWNER_GONE/),
    });
  });

  it('recording start and stop through the job layer reach Asterisk and the recordings table', async () => {
    await setup();
    const caller = await h!.sim.placeInboundCall();
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const callId = h!.app.registry.list()[0]!.id;
    const start = await h!.app.jobs!.controlClient.execute({
      type: 'record',
      callId,
      action: 'start',
      name: 'rec-test',
    });
    expect(start).toEqual({ name: 'rec-test', status: 'recording' });
    const stop = await h!.app.jobs!.controlClient.execute({ type: 'record', callId, action: 'stop', name: 'rec-test' });
    expect(stop).toEqual({ name: 'rec-test', status: 'stopped' });
    const types = h!.sim.eventLog().map((d) => d.event.type);
    expect(types).toContain('RecordingStarted');
    expect(types).toContain('RecordingFinished');
    const recordings = new RecordingsRepository(tmp!.db);
    const rows = await until(async () => {
      const list = await recordings.listByCall(callId);
      return list.some((r) => r.status === 'done') ? list : undefined;
    });
    expect(rows[0]).toMatchObject({ name: 'rec-test', status: 'done' });
    await caller.hangup();
  });

  it('originate through the job layer: answered calls go live; busy ones are recorded as failed with the cause', async () => {
    const { calls } = await setup();
    h!.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 50 });
    const r = await h!.app.jobs!.controlClient.execute({
      type: 'originate',
      endpoint: 'PJSIP/trunk',
      callerId: '1000',
    });
    await waitFor(() => h!.app.registry.get(r.callId)?.state === 'active');
    await h!.app.jobs!.controlClient.execute({ type: 'hangup', callId: r.callId });
    const answered = await until(async () => {
      const row = await calls.get(r.callId);
      return row?.state === 'ended' ? row : undefined;
    });
    expect(answered.direction).toBe('outbound');

    h!.sim.setEndpointBehaviour('PJSIP/busy', 'busy');
    const b = await h!.app.jobs!.controlClient.execute({ type: 'originate', endpoint: 'PJSIP/busy' });
    const failed = await until(async () => {
      const row = await calls.get(b.callId);
      return row?.state === 'failed' ? row : undefined;
    });
    expect(failed).toMatchObject({ direction: 'outbound', hangupCause: 17, closeReason: 'originate_busy' });
  });
});
