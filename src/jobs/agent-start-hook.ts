import { randomUUID } from 'node:crypto';
import type { AgentStartRequest, AgentStartTarget } from '../calls/index.js';
import { AppError } from '../errors/app-error.js';
import { signedJsonPost } from './signed-post.js';

/**
 * POSTs a dial-in route's agent start hook: the `AgentStartRequest` as JSON, signed like webhooks and HTTP tools
 * (`X-Ava-Signature: t=…,v1=…`, `X-Ava-Timestamp`, `X-Ava-Event-Id`; see webhook-signature.ts). One attempt: the
 * call is waiting, so a retry would only eat its `waitMs`. Resolves on a 2xx answer; anything else (another status,
 * a network error, no answer within `timeoutMs`) rejects with `AGENT_START_FAILED` saying what happened.
 */
export async function postAgentStart(
  target: AgentStartTarget,
  request: AgentStartRequest,
  signal: AbortSignal,
): Promise<void> {
  const outcome = await signedJsonPost({
    url: target.url,
    secret: target.secret,
    body: JSON.stringify(request),
    timeoutMs: target.timeoutMs,
    eventId: randomUUID(),
    signal,
    maxResponseBytes: 4096,
  });
  let why: string;
  switch (outcome.kind) {
    case 'response':
      if (outcome.status >= 200 && outcome.status < 300) return;
      why = `answered HTTP ${outcome.status}`;
      break;
    case 'network':
      why = `could not be reached: ${outcome.error}`;
      break;
    case 'timeout':
      why = `did not answer within ${outcome.timeoutMs} ms`;
      break;
    case 'aborted':
      why = 'was cancelled (the call ended)';
      break;
  }
  throw new AppError(`the agent start hook ${target.url} ${why}`, {
    code: 'AGENT_START_FAILED',
    category: outcome.kind === 'timeout' ? 'timeout' : outcome.kind === 'response' ? 'server' : 'connectivity',
  });
}
