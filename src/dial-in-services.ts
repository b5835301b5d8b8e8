import { OneTimeTokens, type DialInSettings, WaitingCalls } from './calls/index.js';
import type { Config } from './config/load-config.js';
import { AGENTS_WS_PATH, type AgentsWsEndpointOptions, type InviteHandler } from './http/agents-ws-endpoint.js';
import { postAgentStart } from './jobs/agent-start-hook.js';

/** The pieces of agents that connect in, built once by the composition root and shared by calls and HTTP. */
export interface DialInServices {
  /**
   * For the agent factory: dial-in calls waiting to be claimed, one-time tokens, the start hook. Undefined without
   * the HTTP server (nowhere to connect in): such calls fail at once with `AGENT_ENDPOINT_MISSING` (fallback).
   */
  readonly settings: DialInSettings | undefined;
  /** Calls of WebRTC routes without `url`, waiting to be taken at /v1/agent/webrtc. */
  readonly webrtcWaitingCalls: WaitingCalls;
  /**
   * The HTTP server's agent endpoints: /v1/agent/webrtc (with the lab page in lab mode) and /v1/agents/ws, where
   * `onInvite` places calls for agents (absent: `invite` is answered `unsupported_command`).
   */
  httpOptions(
    labPage: boolean,
    onInvite?: InviteHandler,
  ): {
    agentWebRtc: { waitingCalls: WaitingCalls; labPage: boolean };
    agentsWs: Omit<AgentsWsEndpointOptions, 'authenticate' | 'logger'>;
  };
}

/**
 * Builds the dial-in services. Waiting calls and one-time tokens live in this process's memory: a call waits for its
 * agent in the instance that owns it, and the token in its start hook's `connectUrl` points at that instance
 * (`AGENT_CONNECT_BASE_URL`, or the HTTP server's own address). `address` is the HTTP server's bound address.
 */
export function createDialInServices(
  config: Config,
  address: () => { host: string; port: number } | undefined,
): DialInServices {
  const waitingCalls = new WaitingCalls();
  const tokens = new OneTimeTokens({ ttlMs: config.agent.tokenTtlMs });
  const settings: DialInSettings | undefined = config.http
    ? {
        waitingCalls,
        tokens,
        connectUrl: () => agentsWsUrl(config.agent.connectBaseUrl, address()),
        startAgent: postAgentStart,
      }
    : undefined;
  const webrtcWaitingCalls = new WaitingCalls();
  return {
    settings,
    webrtcWaitingCalls,
    httpOptions: (labPage, onInvite) => ({
      agentWebRtc: { waitingCalls: webrtcWaitingCalls, labPage },
      agentsWs: { waitingCalls, tokens, ...(onInvite ? { onInvite } : {}) },
    }),
  };
}

/**
 * The public URL of /v1/agents/ws: under `base` (its path kept as a prefix, e.g. behind a proxy), or `ws://` and the
 * bound HTTP address (127.0.0.1 when listening on every interface); undefined while the server does not listen.
 */
export function agentsWsUrl(
  base: string | undefined,
  address: { host: string; port: number } | undefined,
): string | undefined {
  if (base !== undefined) return `${base.replace(/\/+$/, '')}${AGENTS_WS_PATH}`;
  if (address === undefined) return undefined;
  const host = address.host === '0.0.0.0' || address.host === '::' ? '127.0.0.1' : address.host;
  return `ws://${host.includes(':') ? `[${host}]` : host}:${address.port}${AGENTS_WS_PATH}`;
}
