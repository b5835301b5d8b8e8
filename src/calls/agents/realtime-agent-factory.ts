import { z } from 'zod';
import { type AudioFormat, PCM8K, PCM16K } from '../../audio/format.js';
import type { OpenAiSipAgentConfig } from '../../config/openai-sip-route.js';
import type { RealtimeAgentConfig } from '../../config/realtime-route.js';
import { AppError } from '../../errors/app-error.js';
import { defaultAuthScheme } from '../../transports/realtime/connect-realtime-socket.js';
import { RealtimeCallsClient } from '../../transports/realtime/realtime-calls-client.js';
import type { OpenAiSipCalls } from '../openai-sip-calls.js';
import { OpenAiSipAgent, sidebandRealtimeConfig } from './openai-sip-agent.js';
import type { Route } from '../../config/routes.js';
import type { Logger } from '../../observability/logger.js';
import type { CallInfo } from '../voice-agent.js';
import { reconnectPolicyOf } from './agent-reconnect.js';
import { RealtimeAgent } from './realtime-agent.js';
import type { RouteFunctionTool } from './realtime-session-config.js';
import { type ToolInvoker, UNAVAILABLE_TOOL_INVOKER } from './realtime-tool-invoker.js';
import { loggingTranscriptSink, type TranscriptSink } from './realtime-transcripts.js';

/** What the composition root gives every Realtime agent. */
export interface RealtimeAgentDeps {
  /** Runs the model's function calls (the job layer's `tool-calls`); without it every call fails `TOOL_UNAVAILABLE`. */
  readonly tools?: ToolInvoker;
  /** Stores transcript turns and emits them to webhooks; without it turns are logged at debug level. */
  readonly transcripts?: TranscriptSink;
  /** Upper bound of one connect attempt. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
}

const routeToolsSchema = z.array(
  z.looseObject({
    name: z.string(),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
);

/** The route's HTTP tools as function definitions (routes without tools give none). */
export function routeFunctionTools(route: Route): RouteFunctionTool[] {
  const parsed = routeToolsSchema.safeParse((route as { tools?: unknown }).tools ?? []);
  if (!parsed.success) return [];
  return parsed.data.map((t) => ({
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    ...(t.parameters !== undefined ? { parameters: t.parameters } : {}),
  }));
}

/**
 * The leg format to plan the session for. A leg reports 8 kHz until its first audio frame, so an 8 kHz
 * `legFormat` may only be the default: then the route's `audioFormat` (what externalMedia is asked for) decides.
 */
export function plannedLegFormat(call: CallInfo): AudioFormat {
  if (call.legFormat.sampleRate !== 8000) return call.legFormat;
  return call.route.audioFormat === 'slin16' ? PCM16K : PCM8K;
}

/** Builds the SIP-path agent for a call of a route with `agent.kind = "openai-sip"` (see OpenAiSipAgent). */
export function createOpenAiSipAgent(
  call: CallInfo,
  config: OpenAiSipAgentConfig,
  apiKey: string | undefined,
  deps: RealtimeAgentDeps,
  sipCalls: OpenAiSipCalls | undefined,
  logger: Logger,
): OpenAiSipAgent {
  if (!sipCalls) {
    throw new AppError('openai-sip routes need the ARI controller and the HTTP server (the incoming-call webhook)', {
      code: 'AGENT_UNAVAILABLE',
      category: 'configuration',
    });
  }
  const log = logger.child({ callId: call.callId, agent: 'openai-sip' });
  const realtime = sidebandRealtimeConfig(config);
  const auth = config.auth ?? defaultAuthScheme(config.url);
  return new OpenAiSipAgent({
    config,
    routeTools: routeFunctionTools(call.route),
    sipCalls,
    calls: new RealtimeCallsClient({ realtimeUrl: config.url, apiKey, auth }),
    makeSideband: (url) => createRealtimeAgent(call, realtime, apiKey, deps, logger.child({ sideband: true }), url),
    logger: log,
  });
}

/** Builds the Realtime agent for a call of a route with `agent.kind = "openai-realtime"`. */
export function createRealtimeAgent(
  call: CallInfo,
  config: RealtimeAgentConfig,
  apiKey: string | undefined,
  deps: RealtimeAgentDeps,
  logger: Logger,
  sidebandUrl?: string,
): RealtimeAgent {
  const log = logger.child({ callId: call.callId, agent: 'openai-realtime' });
  return new RealtimeAgent({
    config,
    legFormat: plannedLegFormat(call),
    apiKey,
    routeTools: routeFunctionTools(call.route),
    tools: deps.tools ?? UNAVAILABLE_TOOL_INVOKER,
    transcripts: deps.transcripts ?? loggingTranscriptSink(log),
    reconnect: reconnectPolicyOf(config.reconnect),
    ...(deps.connectTimeoutMs !== undefined ? { connectTimeoutMs: deps.connectTimeoutMs } : {}),
    ...(sidebandUrl !== undefined ? { sidebandUrl } : {}),
    logger: log,
  });
}
