import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CallEventsRepository } from '../../../src/db/call-events-repository.js';
import { CallsRepository } from '../../../src/db/calls-repository.js';
import { createJobLayer, type JobLayer } from '../../../src/jobs/job-layer.js';
import { FakeCallController } from '../../fakes/jobs-fake-controller.js';
import { RecordingToolResultSink } from '../../fakes/jobs-result-sink.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, FAST_TUNING, REDIS_URL, randomPrefix, testLogger } from './job-test-env.js';
import { eventually } from '../../support/wait.js';
import { OwnMariaDb } from './own-servers.js';

describe('lifecycle events across a MySQL outage', () => {
  it('keeps emitting without blocking, then stores every event in order once MySQL is back', async () => {
    const prefix = randomPrefix();
    let mariadb: OwnMariaDb | undefined;
    let t: TempDatabase | undefined;
    let layer: JobLayer | undefined;
    try {
      mariadb = await OwnMariaDb.create();
      t = await createTempDatabase({ port: mariadb.port });
      layer = await createJobLayer({
        redis: REDIS_URL,
        prefix,
        instanceId: 'outage-a',
        db: t.db,
        controller: new FakeCallController('outage-a'),
        toolResultSink: new RecordingToolResultSink('a'),
        logger: testLogger(),
        tuning: FAST_TUNING,
      });
      await layer.ready();
      const sink = layer.eventSink;
      const events = new CallEventsRepository(t.db);
      const a = randomUUID();
      const b = randomUUID();

      sink.emit(a, 'call.created', { direction: 'inbound', route: 'support' });
      sink.emit(a, 'call.answered', {});
      await eventually(
        async () => (await events.listByCall(a)).length === 2,
        20_000,
        'events stored before the outage',
      );

      await mariadb.stop();
      // MySQL is down: emitting stays synchronous and events still reach the queue.
      const emitted: string[] = [];
      for (const digit of '0123456789') {
        expect(sink.emit(a, 'call.dtmf', { digit })).toBeUndefined();
        emitted.push(digit);
      }
      sink.emit(b, 'call.created', { direction: 'outbound', route: 'sales' });
      sink.emit(b, 'call.answered', {});
      sink.emit(a, 'call.ended', { closeReason: 'caller_hangup', initiator: 'caller', hangupCause: 16 });
      sink.emit(b, 'call.ended', { closeReason: 'agent_hangup', initiator: 'agent' });
      expect(await sink.flush(10_000)).toBe(true);
      expect(sink.stats()).toMatchObject({ buffered: 0, dropped: 0 });

      await mariadb.start();
      const stored = await eventually(
        async () => {
          const rows = await events.listByCall(a);
          return rows.length === 13 ? rows : undefined;
        },
        60_000,
        'call A events after the outage',
      );
      expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(stored.map((e) => e.type)).toEqual([
        'call.created',
        'call.answered',
        ...emitted.map(() => 'call.dtmf'),
        'call.ended',
      ]);
      expect(stored.slice(2, 12).map((e) => (e.payload as { digit: string }).digit)).toEqual(emitted);
      expect(stored.map((e) => e.rowId)).toEqual([...stored.map((e) => e.rowId)].sort((x, y) => x - y));

      const bRows = await eventually(
        async () => {
          const rows = await events.listByCall(b);
          return rows.length === 3 ? rows : undefined;
        },
        60_000,
        'call B events after the outage',
      );
      expect(bRows.map((e) => e.type)).toEqual(['call.created', 'call.answered', 'call.ended']);

      const calls = new CallsRepository(t.db);
      expect(await calls.get(a)).toMatchObject({ state: 'ended', route: 'support', hangupCause: 16 });
      expect(await calls.get(b)).toMatchObject({ state: 'ended', direction: 'outbound', hangupInitiator: 'agent' });
    } finally {
      await layer?.close();
      await t?.drop().catch(() => undefined);
      await mariadb?.dispose();
      await cleanRedis(REDIS_URL, prefix);
    }
  }, 120_000);
});
