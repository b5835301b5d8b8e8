import type { DialInAgentConfig } from '../../config/routes.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../observability/logger.js';
import type { WebSocket } from 'ws';
import type { AdapterEvent } from '../../protocols/agent/index.js';
import type { AgentSocket } from '../../transports/agent-ws/agent-socket.js';
import { acceptedAgentSocket } from '../../transports/agent-ws/connect-agent-socket.js';
import type { CallInfo, VoiceAgent } from '../voice-agent.js';
import { NativeWsAgent } from './native-ws-agent.js';
import type { OneTimeTokens } from './one-time-tokens.js';
import { PipecatAgent } from './pipecat-agent.js';
import { loggingTranscriptSink, type TranscriptSink } from './realtime-transcripts.js';
import type { WaitingCalls } from './waiting-calls.js';

/** The body of the start hook's POST (docs/agent-protocol.md, "Agent start hook"). */
export interface AgentStartRequest {
  readonly event: 'agent.start';
  readonly callId: string;
  readonly route: string;
  readonly dialect: 'native' | 'pipecat';
  /** Where the bot connects: the adapter's /v1/agents/ws with the call's one-time token. */
  readonly connectUrl: string;
  /** When the token stops being accepted (ms since the epoch). */
  readonly tokenExpiresAt: number;
  readonly direction: 'inbound' | 'outbound';
  readonly caller: string;
  readonly callee: string;
  readonly customParameters: Readonly<Record<string, string>>;
  readonly audio: { readonly encoding: 'pcm16'; readonly sampleRate: 8000 | 16000 | 24000 };
}

/** The start hook of one route, its secret resolved. */
export interface AgentStartTarget {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
}

/** Adapter-wide pieces of dial-in routes, wired by the composition root. */
export interface DialInSettings {
  /** Calls waiting to be claimed at /v1/agents/ws. */
  readonly waitingCalls: WaitingCalls;
  readonly tokens: OneTimeTokens;
  /** The public URL of /v1/agents/ws (no query); undefined while the HTTP server is not listening. */
  readonly connectUrl: () => string | undefined;
  /** POSTs the start hook; resolves on a 2xx answer, rejects with `AGENT_START_FAILED` otherwise. */
  readonly startAgent: (target: AgentStartTarget, request: AgentStartRequest, signal: AbortSignal) => Promise<void>;
}

/** What a dial-in claim needs of its call (CallInfo's fields, the route by name). */
export interface DialInCall {
  readonly callId: string;
  readonly routeName: string;
  readonly caller: string | undefined;
  readonly callee: string | undefined;
  readonly direction: 'inbound' | 'outbound';
  readonly customParameters: Readonly<Record<string, string>>;
}

/**
 * How a dial-in call gets the WebSocket of the agent that claims it: in the process that runs the HTTP server,
 * `localDialInClaims` (the waiting calls, tokens and start hook above); on a media worker, a request to the primary,
 * which claims there and hands the connection over.
 */
export interface DialInClaims {
  /**
   * Waits (at most `agent.waitMs`) for an agent to claim the call; resolves with its WebSocket as soon as one does,
   * before any message of it is read. Rejects with `AGENT_NOT_CLAIMED`, `AGENT_START_FAILED`,
   * `AGENT_ENDPOINT_MISSING`, or the waiting calls' error when `signal` aborts.
   */
  claim(
    call: DialInCall,
    agent: DialInAgentConfig,
    secret: string | undefined,
    signal: AbortSignal,
    log: Logger,
  ): Promise<WebSocket>;
}

/** The fields of a call a dial-in claim uses. */
function dialInCallOf(call: CallInfo): DialInCall {
  return {
    callId: call.callId,
    routeName: call.route.name,
    caller: call.caller,
    callee: call.callee,
    direction: call.direction,
    customParameters: call.customParameters,
  };
}

/** The agent of a `dial-in` route: the dialect's `VoiceAgent` over the socket the agent opens at /v1/agents/ws. */
export function createDialInAgent(
  call: CallInfo,
  agent: DialInAgentConfig,
  secret: string | undefined,
  claims: DialInClaims | undefined,
  transcripts: TranscriptSink | undefined,
  logger: Logger,
): VoiceAgent {
  const log = logger.child({ callId: call.callId, agent: `dial-in:${agent.dialect}` });
  const claimed = async <Out>(signal: AbortSignal): Promise<AgentSocket<Out>> => {
    if (claims === undefined) throw endpointMissing();
    const ws = await claims.claim(dialInCallOf(call), agent, secret, signal, log);
    // Wrapped at once (same tick as the claim), so no frame of the agent is missed.
    return acceptedAgentSocket<Out>(ws, call.callId, log);
  };
  if (agent.dialect === 'pipecat') {
    return new PipecatAgent({
      open: claimed,
      sampleRate: agent.sampleRate,
      transcripts: transcripts ?? loggingTranscriptSink(log),
      logger: log,
    });
  }
  return new NativeWsAgent({
    open: (signal, reconnect) => {
      if (reconnect)
        return Promise.reject(
          new AppError('the agent that dialled in disconnected', {
            code: 'AGENT_DISCONNECTED',
            category: 'connectivity',
          }),
        );
      return claimed<AdapterEvent>(signal);
    },
    sampleRate: agent.sampleRate,
    logger: log,
  });
}

function endpointMissing(): AppError {
  return new AppError('dial-in routes need the HTTP server, where agents connect in (HTTP_ENABLED)', {
    code: 'AGENT_ENDPOINT_MISSING',
    category: 'configuration',
  });
}

/**
 * Claims in this process: waits at `settings.waitingCalls`; with a start hook, first issues a one-time token and
 * POSTs the hook. A failed start ends the wait with `AGENT_START_FAILED` (unless the agent already connected: it
 * keeps the call), no claim in time with `AGENT_NOT_CLAIMED`; the call's `agent.failed` event records either, and the
 * route's fallback follows. Without settings (no HTTP server), every claim fails with `AGENT_ENDPOINT_MISSING`.
 */
export function localDialInClaims(settings: DialInSettings | undefined): DialInClaims {
  return {
    claim: (call, agent, secret, signal, log) => {
      if (settings === undefined) return Promise.reject(endpointMissing());
      return claimSocket(call, agent, secret, settings, signal, log);
    },
  };
}

async function claimSocket(
  call: DialInCall,
  agent: DialInAgentConfig,
  secret: string | undefined,
  settings: DialInSettings,
  signal: AbortSignal,
  log: Logger,
): Promise<WebSocket> {
  const expired = AbortSignal.timeout(agent.waitMs);
  const startFailed = new AbortController();
  let claimedSocket: WebSocket | undefined;
  const waiting = settings.waitingCalls
    .waitForAgent(
      {
        callId: call.callId,
        route: call.routeName,
        caller: call.caller,
        callee: call.callee,
        since: new Date(),
        dialect: agent.dialect,
      },
      AbortSignal.any([signal, expired, startFailed.signal]),
    )
    .then((ws) => {
      claimedSocket = ws;
      return ws;
    });
  log.info({ waitMs: agent.waitMs, start: agent.start !== undefined }, 'waiting for an agent to dial in');
  const claimed = waiting.then(
    (ws) => {
      log.info('an agent dialled in and claimed the call');
      return ws;
    },
    (err: unknown) => {
      if (expired.aborted && !signal.aborted) {
        throw new AppError(`no agent claimed the call within ${agent.waitMs} ms`, {
          code: 'AGENT_NOT_CLAIMED',
          category: 'timeout',
          cause: err,
        });
      }
      throw err;
    },
  );
  claimed.catch(() => undefined);
  try {
    if (agent.start !== undefined) {
      const started = startAgent(call, agent, secret, settings, signal).then(
        () => undefined,
        (err: unknown) => {
          // A bot that connected before its start request failed keeps the call.
          if (claimedSocket === undefined) {
            startFailed.abort(err);
            throw err;
          }
          log.warn({ err }, 'the start hook failed, but the agent already connected');
        },
      );
      // The claim wins as soon as it comes (the start request may still be answering); a failed start ends the wait.
      await Promise.race([claimed, started.then(() => claimed)]);
    }
    return await claimed;
  } finally {
    settings.tokens.revoke(call.callId);
  }
}

async function startAgent(
  call: DialInCall,
  agent: DialInAgentConfig,
  secret: string | undefined,
  settings: DialInSettings,
  signal: AbortSignal,
): Promise<void> {
  const start = agent.start!;
  const base = settings.connectUrl();
  if (base === undefined || !secret) {
    throw new AppError(
      base === undefined ? 'no public URL of /v1/agents/ws (the HTTP server is not listening)' : 'no start secret',
      { code: 'AGENT_START_FAILED', category: 'configuration' },
    );
  }
  const token = settings.tokens.issue({ callId: call.callId, route: call.routeName, dialect: agent.dialect });
  const connectUrl = new URL(base);
  connectUrl.searchParams.set('token', token);
  const request: AgentStartRequest = {
    event: 'agent.start',
    callId: call.callId,
    route: call.routeName,
    dialect: agent.dialect,
    connectUrl: connectUrl.toString(),
    tokenExpiresAt: Date.now() + settings.tokens.ttlMs,
    direction: call.direction,
    caller: call.caller ?? '',
    callee: call.callee ?? '',
    customParameters: call.customParameters,
    audio: { encoding: 'pcm16', sampleRate: agent.sampleRate },
  };
  await settings.startAgent({ url: start.url, secret, timeoutMs: start.timeoutMs }, request, signal);
}
