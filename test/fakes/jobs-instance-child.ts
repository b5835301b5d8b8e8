/**
 * A second adapter instance's job layer in a process of its own, for multi-instance tests. Settings come as JSON
 * in JOBS_CHILD_CONFIG; the parent drives it over IPC:
 *   parent → child: { cmd: 'claim', callId } | { cmd: 'open-call', callId, route } | { cmd: 'execute', id, command }
 *                 | { cmd: 'submit', request } | { cmd: 'close' }
 *   child → parent: { type: 'ready' } | { type: 'claimed', callId } | { type: 'opened', callId }
 *                 | { type: 'controller', command }
 *                 | { type: 'tool-result', result } | { type: 'executed', id, ok, value?, code? } | { type: 'closed' }
 */
import pino from 'pino';
import { createDb } from '../../src/db/create-db.js';
import { isAppError } from '../../src/errors/app-error.js';
import type { ControlCommandInput } from '../../src/jobs/call-control-client.js';
import { createJobLayer } from '../../src/jobs/job-layer.js';
import type { JobLayerTuningInput } from '../../src/jobs/job-layer.js';
import type { HttpToolInput } from '../../src/jobs/tool-catalog.js';
import type { ToolCallRequestInput } from '../../src/jobs/tool-calls.js';
import { FakeCallController } from './jobs-fake-controller.js';
import { RecordingToolResultSink } from './jobs-result-sink.js';

export interface InstanceChildConfig {
  redisUrl: string;
  mysqlUrl: string;
  prefix: string;
  instanceId: string;
  tools: HttpToolInput[];
  tuning: JobLayerTuningInput;
}

export type InstanceChildCommand =
  | { cmd: 'claim'; callId: string }
  | { cmd: 'open-call'; callId: string; route: string }
  | { cmd: 'execute'; id: string; command: ControlCommandInput }
  | { cmd: 'submit'; request: ToolCallRequestInput }
  | { cmd: 'close' };

function send(message: unknown): void {
  process.send?.(message);
}

/** Reports every command the controller runs to the parent. */
class ReportingController extends FakeCallController {
  override async hangup(...args: Parameters<FakeCallController['hangup']>) {
    send({ type: 'controller', command: args[0] });
    return super.hangup(...args);
  }
  override async sendDtmf(...args: Parameters<FakeCallController['sendDtmf']>) {
    send({ type: 'controller', command: args[0] });
    return super.sendDtmf(...args);
  }
  override async play(...args: Parameters<FakeCallController['play']>) {
    send({ type: 'controller', command: args[0] });
    return super.play(...args);
  }
}

/** Reports every tool result delivered here to the parent. */
class ReportingSink extends RecordingToolResultSink {
  override async deliver(result: Parameters<RecordingToolResultSink['deliver']>[0]) {
    const outcome = await super.deliver(result);
    send({ type: 'tool-result', result, outcome });
    return outcome;
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.JOBS_CHILD_CONFIG ?? '{}') as InstanceChildConfig;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  const db = createDb({ connection: { url: config.mysqlUrl }, poolSize: 3 });
  const controller = new ReportingController(config.instanceId);
  const sink = new ReportingSink(config.instanceId);
  const layer = await createJobLayer({
    redis: config.redisUrl,
    prefix: config.prefix,
    instanceId: config.instanceId,
    db,
    controller,
    toolResultSink: sink,
    tools: config.tools,
    logger,
    tuning: config.tuning,
  });
  await layer.ready();

  process.on('message', (raw) => {
    const m = raw as InstanceChildCommand;
    switch (m.cmd) {
      case 'claim':
        controller.live.add(m.callId);
        sink.live.add(m.callId);
        layer.ownership.claim(m.callId).then(() => send({ type: 'claimed', callId: m.callId }));
        return;
      case 'open-call':
        // What the call recorder does when a call starts here: claim it, record it as this instance's.
        layer.ownership
          .claim(m.callId)
          .then(() => {
            layer.eventSink.emit(m.callId, 'call.created', {
              direction: 'inbound',
              from: '+15550100',
              to: '100',
              route: m.route,
              agentKind: 'echo',
              ownerInstance: config.instanceId,
              state: 'answered',
            });
            layer.eventSink.emit(m.callId, 'call.state_changed', { state: 'active' });
            return layer.eventSink.flush();
          })
          .then(() => send({ type: 'opened', callId: m.callId }));
        return;
      case 'execute':
        layer.controlClient.execute(m.command).then(
          (value) => send({ type: 'executed', id: m.id, ok: true, value }),
          (err: unknown) => send({ type: 'executed', id: m.id, ok: false, code: isAppError(err) ? err.code : 'ERROR' }),
        );
        return;
      case 'submit':
        layer.toolCalls.submit(m.request).catch((err: unknown) => logger.error({ err }, 'submit failed'));
        return;
      case 'close':
        layer
          .close()
          .then(() => db.destroy())
          .then(() => {
            send({ type: 'closed' });
            process.disconnect?.();
          });
        return;
    }
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`instance child failed: ${String(err)}\n`);
  process.exit(1);
});
