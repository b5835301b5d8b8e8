import type { Route } from '../config/routes.js';

/** Facts about a call that routes match on. */
export interface RouteQuery {
  stasisArg?: string | undefined;
  extension?: string | undefined;
  caller?: string | undefined;
  callee?: string | undefined;
  audiosocketUuid?: string | undefined;
}

interface CompiledRoute {
  route: Route;
  extension?: RegExp;
  caller?: RegExp;
  callee?: RegExp;
}

/**
 * Picks a call's route: the first route, in file order, all of whose stated conditions hold. A route with no
 * conditions matches every call (a catch-all). AudioSocket UUID conditions only match dialplan-direct calls.
 */
export class RouteMatcher {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map((route) => ({
      route,
      ...(route.match.extension !== undefined ? { extension: anchored(route.match.extension) } : {}),
      ...(route.match.caller !== undefined ? { caller: anchored(route.match.caller) } : {}),
      ...(route.match.callee !== undefined ? { callee: anchored(route.match.callee) } : {}),
    }));
  }

  get routes(): Route[] {
    return this.#routes.map((r) => r.route);
  }

  byName(name: string): Route | undefined {
    return this.#routes.find((r) => r.route.name === name)?.route;
  }

  match(q: RouteQuery): Route | undefined {
    return this.#routes.find((r) => matches(r, q))?.route;
  }

  /** True when a route names this UUID explicitly (dialplan-direct admission). */
  allowsUuid(uuid: string): Route | undefined {
    return this.#routes.find((r) => r.route.match.audiosocketUuids?.includes(uuid))?.route;
  }
}

function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function matches(r: CompiledRoute, q: RouteQuery): boolean {
  const m = r.route.match;
  if (m.stasisArg !== undefined && m.stasisArg !== q.stasisArg) return false;
  if (r.extension && !r.extension.test(q.extension ?? '')) return false;
  if (r.caller && !r.caller.test(q.caller ?? '')) return false;
  if (r.callee && !r.callee.test(q.callee ?? '')) return false;
  if (
    m.audiosocketUuids !== undefined &&
    (q.audiosocketUuid === undefined || !m.audiosocketUuids.includes(q.audiosocketUuid))
  )
    return false;
  return true;
}
