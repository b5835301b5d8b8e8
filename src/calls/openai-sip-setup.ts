import type { Config } from '../config/load-config.js';
import type { OpenAiSipAgentConfig } from '../config/openai-sip-route.js';
import type { Logger } from '../observability/logger.js';
import { defaultAuthScheme } from '../transports/realtime/connect-realtime-socket.js';
import { RealtimeCallsClient } from '../transports/realtime/realtime-calls-client.js';
import { OpenAiSipCalls } from './openai-sip-calls.js';

/** What the HTTP server's incoming-call webhook needs (see `registerOpenAiSipWebhook`). */
export interface OpenAiSipWebhookSettings {
  readonly calls: OpenAiSipCalls;
  readonly secrets: readonly string[];
  readonly toleranceS: number;
  reject(providerCallId: string, statusCode: number): Promise<void>;
}

/**
 * The SIP-path pieces of the composition root: the calls waiting for their webhook (for the agent factory) and,
 * when a route is of kind `openai-sip`, the webhook settings: every route's secrets, and a reject that uses the
 * first such route's API URL and key (an unknown call belongs to no route).
 */
export function createOpenAiSip(
  config: Pick<Config, 'routes' | 'routeSecrets' | 'openaiSip'>,
  logger: Logger,
): { calls: OpenAiSipCalls; webhook: OpenAiSipWebhookSettings | undefined } {
  const calls = new OpenAiSipCalls();
  const routes = config.routes.filter((r) => r.agent.kind === 'openai-sip');
  const first = routes[0];
  if (first === undefined) return { calls, webhook: undefined };
  const agent = first.agent as OpenAiSipAgentConfig;
  const client = new RealtimeCallsClient({
    realtimeUrl: agent.url,
    apiKey: config.routeSecrets[first.name],
    auth: agent.auth ?? defaultAuthScheme(agent.url),
  });
  const secrets = [...new Set(routes.flatMap((r) => config.openaiSip.webhookSecrets[r.name] ?? []))];
  logger.info({ routes: routes.map((r) => r.name), secrets: secrets.length }, 'openai-sip webhook enabled');
  return {
    calls,
    webhook: {
      calls,
      secrets,
      toleranceS: config.openaiSip.toleranceS,
      reject: (providerCallId, statusCode) => client.reject(providerCallId, statusCode),
    },
  };
}
