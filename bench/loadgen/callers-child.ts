/**
 * The callers in a child process of their own (this file, forked early so it loads while the service starts), so
 * the generator's two halves — callers, and the echo agent in the parent — get separate event loops. The parent
 * talks to it over IPC: `ari` (start the simulated Asterisk, answer its URL), `ari-ready` (answer once the service's
 * Stasis app connected), `start` (run this plan, answer with the report), `stop`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nextMessage, stopChild } from '../lib/child-messages.js';
import { pin } from '../lib/service-process.js';
import { type AriCallers, startAriCallers } from './ari-callers.js';
import { type CallerPlan, type CallerReport, runCallers } from './callers.js';
import { epochNow } from './types.js';

type ToCallers = { type: 'start'; plan: CallerPlan } | { type: 'ari' } | { type: 'ari-ready' } | { type: 'stop' };
type FromCallers =
  | { type: 'ready' }
  | { type: 'ari'; url: string }
  | { type: 'ari-ready' }
  | { type: 'report'; report: CallerReport }
  | { type: 'error'; message: string };

export interface CallersChild {
  readonly child: ChildProcess;
  readonly ready: Promise<unknown>;
  stop(): Promise<void>;
}

/** Forks the callers' child process; `ready` resolves once it listens. */
export function forkCallers(): CallersChild {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = nextMessage<FromCallers, 'ready'>(child, 'ready', 60_000);
  ready.catch(() => undefined);
  const stop = (): Promise<void> => stopChild(child, { type: 'stop' } satisfies ToCallers, 10_000);
  return { child, ready, stop };
}

/** Sends the plan to the callers' child (pinned like the rest of the generator); resolves with its report. */
export async function startCallersInChild(
  callers: CallersChild,
  plan: (now: number) => CallerPlan,
  pinCore: number | undefined,
): Promise<{ report: Promise<CallerReport>; plan: CallerPlan }> {
  await callers.ready;
  if (pinCore !== undefined) pin(callers.child.pid!, pinCore);
  const p = plan(epochNow());
  const report = nextMessage<FromCallers, 'report'>(callers.child, 'report', p.reportAt - epochNow() + 60_000).then(
    (m) => m.report,
  );
  report.catch(() => undefined);
  callers.child.send({ type: 'start', plan: p } satisfies ToCallers);
  return { report, plan: p };
}

/** Sends `type` to the callers' child; resolves with its answer of the same type. */
export async function askCallers<T extends 'ari' | 'ari-ready'>(
  callers: CallersChild,
  type: T,
): Promise<Extract<FromCallers, { type: T }>> {
  await callers.ready;
  const answer = nextMessage<FromCallers, T>(callers.child, type, 60_000);
  callers.child.send({ type } satisfies ToCallers);
  return answer;
}

/** The child's side: serves the parent's messages until `stop` or the parent goes away. */
function callersChild(): void {
  let stop: (() => Promise<void>) | undefined;
  let ari: Promise<AriCallers> | undefined;
  const fail = (err: unknown): void => {
    process.send?.({ type: 'error', message: (err as Error).message } satisfies FromCallers);
  };
  process.on('message', (m: ToCallers) => {
    if (m.type === 'ari') {
      ari ??= startAriCallers();
      ari.then((a) => process.send?.({ type: 'ari', url: a.url } satisfies FromCallers), fail);
    } else if (m.type === 'ari-ready') {
      (ari ?? Promise.reject(new Error('no simulated Asterisk in this process')))
        .then((a) => a.appConnected())
        .then(() => process.send?.({ type: 'ari-ready' } satisfies FromCallers), fail);
    } else if (m.type === 'start') {
      (ari ?? Promise.resolve(undefined))
        .then((a) => runCallers(m.plan, a))
        .then((r) => {
          stop = r.stop;
          process.send?.({ type: 'report', report: r.report } satisfies FromCallers);
        }, fail);
    } else if (m.type === 'stop') {
      const closeAri = (): Promise<void> => ari?.then((a) => a.close()) ?? Promise.resolve();
      void (stop?.() ?? closeAri()).finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready' } satisfies FromCallers);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) callersChild();
