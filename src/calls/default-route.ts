import type { Config } from '../config/load-config.js';
import type { Route } from '../config/routes.js';

/** The built-in route for calls no route matches when no routes file is given and DEFAULT_AGENT=echo. */
export const DEFAULT_ECHO_ROUTE: Route = {
  name: 'default',
  match: {},
  agent: { kind: 'echo' },
  audioFormat: 'slin',
  bargeIn: { enabled: true, protectGreeting: false },
  fallback: { action: 'hangup' },
  customParameters: {},
  webhooks: [],
  tools: [],
};

/**
 * The route for calls no configured route matches: the built-in echo route when no routes are configured and the
 * default agent is echo; otherwise none (such calls are refused).
 */
export function defaultRouteOf(config: Pick<Config, 'routes' | 'defaultAgent'>): Route | undefined {
  if (config.routes.length > 0) return undefined;
  return config.defaultAgent === 'echo' ? DEFAULT_ECHO_ROUTE : undefined;
}
