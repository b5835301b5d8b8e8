import { z } from 'zod';

/**
 * A route picks the agent for a call. Matching: a route matches when every condition it states holds; the first
 * matching route in file order wins. Patterns are anchored regular expressions written as strings.
 */
const pattern = z.string().refine(
  (s) => {
    try {
      new RegExp(`^(?:${s})$`);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const uuid = z.uuid({ message: 'expected a UUID like 3f2b6c1e-…' });

export const routeMatchSchema = z
  .object({
    /** First argument of `Stasis(app,<arg>)`, exact. */
    stasisArg: z.string().min(1).optional(),
    /** Dialled extension (channel dialplan exten), anchored regex. */
    extension: pattern.optional(),
    /** Caller number, anchored regex. */
    caller: pattern.optional(),
    /** Called number, anchored regex. */
    callee: pattern.optional(),
    /** AudioSocket UUIDs this route accepts in dialplan-direct mode. */
    audiosocketUuids: z.array(uuid).optional(),
  })
  .strict();

export const echoAgentSchema = z.object({ kind: z.literal('echo') }).strict();

export const agentSchema = z.discriminatedUnion('kind', [echoAgentSchema]);

export const routeSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    match: routeMatchSchema.default({}),
    agent: agentSchema,
    /** AudioSocket format asked of Asterisk for externalMedia: `slin` (8 kHz) or `slin16`. */
    audioFormat: z.enum(['slin', 'slin16']).default('slin'),
  })
  .strict();

export const routesFileSchema = z
  .object({
    routes: z.array(routeSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.routes.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: 'duplicate name' });
      seen.add(r.name);
    });
  });

export type RouteMatch = z.output<typeof routeMatchSchema>;
export type AgentConfig = z.output<typeof agentSchema>;
export type Route = z.output<typeof routeSchema>;
export type RoutesFile = z.output<typeof routesFileSchema>;
