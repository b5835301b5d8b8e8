import { z } from 'zod';

/**
 * Agents that connect in (dial-in at /v1/agents/ws, WebRTC at /v1/agent/webrtc) for calls on media workers. Their
 * connections arrive at the primary's HTTP server, where tokens are checked and calls wait to be claimed; the
 * worker holding a call's media asks the primary to wait for its agent (`agent.wait`), and the primary answers with
 * the agent's WebSocket itself (`agent.socket`, the TCP socket as an IPC handle, taken at a frame boundary) or why
 * none came (`agent.waitFailed`). The agent's frames then never pass through the primary.
 */

const callId = z.string().min(1);
const requestId = z.number().int().nonnegative();

/** A `dial-in` route's agent settings (DialInAgentConfig as JSON); the primary holds the start hook's secret. */
const dialInAgent = z.object({
  kind: z.literal('dial-in'),
  dialect: z.enum(['native', 'pipecat']),
  sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000)]),
  waitMs: z.number().int().positive(),
  start: z
    .object({ url: z.string().min(1), secretEnv: z.string().min(1), timeoutMs: z.number().int().positive() })
    .optional(),
});

/** Worker → primary: wait for the call's agent to connect in and hand its connection here. */
export const agentWaitSchema = z.object({
  type: z.literal('agent.wait'),
  callId,
  requestId,
  /**
   * `dial-in`: claimed at /v1/agents/ws (with the route's start hook); `webrtc`: taken at /v1/agent/webrtc;
   * `invited`: the socket of the agent that placed the call with `invite`.
   */
  kind: z.enum(['dial-in', 'webrtc', 'invited']),
  call: z.object({
    routeName: z.string().min(1),
    caller: z.string().optional(),
    callee: z.string().optional(),
    direction: z.enum(['inbound', 'outbound']),
    customParameters: z.record(z.string(), z.string()),
  }),
  /** With `dial-in`: the agent settings of the route. */
  dialIn: dialInAgent.optional(),
});

/** Worker → primary: the call stopped waiting (it ended, or its agent was given up). */
export const agentWaitCancelSchema = z.object({ type: z.literal('agent.waitCancel'), callId, requestId });

/**
 * Primary → worker: the agent's open WebSocket; the TCP socket comes with this message (IPC handle). `head` is what
 * the primary read of it and did not parse (base64): it starts a frame, and comes before what is on the socket.
 */
export const agentSocketSchema = z.object({ type: z.literal('agent.socket'), callId, requestId, head: z.base64() });

/** Primary → worker: no agent's connection comes (the error the wait ended with). */
export const agentWaitFailedSchema = z.object({
  type: z.literal('agent.waitFailed'),
  callId,
  requestId,
  code: z.string().min(1),
  category: z.string().min(1),
  message: z.string(),
  retryable: z.boolean().optional(),
});

export type AgentWaitMessage = z.infer<typeof agentWaitSchema>;
export type AgentWaitCancelMessage = z.infer<typeof agentWaitCancelSchema>;
export type AgentSocketMessage = z.infer<typeof agentSocketSchema>;
export type AgentWaitFailedMessage = z.infer<typeof agentWaitFailedSchema>;
