import type { z } from 'zod';

/**
 * One entry of an environment-variable table kept in its own file (the shape of `EnvVarSpec` in env-vars.ts, which
 * spreads those tables into ENV_VARS): checks the entry and keeps its literal type.
 */
export function envSpec<const T extends { schema: z.ZodType; default?: string; description: string }>(s: T): T {
  return s;
}
