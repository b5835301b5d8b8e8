import { z } from 'zod';
import { ConfigError } from '../errors/config-error.js';
import { BUILTIN_TOOL_NAMES, type BuiltinToolName, isBuiltinToolName } from '../calls/builtin-tools.js';
import { retryPolicySchema } from '../lib/retry-policy.js';
import { toolNameSchema } from './tool-call-types.js';

/** An HTTP tool: the adapter POSTs the call's arguments (signed like webhooks) and hands the JSON answer back. */
export const httpToolSchema = z
  .object({
    name: toolNameSchema.refine((n) => !isBuiltinToolName(n), 'name of a built-in tool'),
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16, 'use a secret of at least 16 characters'),
    /** Per-request timeout. */
    timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** Retries for network errors, timeouts, 408/425/429 and 5xx; other 4xx answers are final. */
    retry: retryPolicySchema.default({
      initialDelayMs: 500,
      maxDelayMs: 5000,
      multiplier: 2,
      maxAttempts: 3,
      jitter: 0.2,
    }),
    /**
     * Whether repeating the request is harmless (the tool dedupes on `X-Ava-Idempotency-Key`). Only then is a call
     * that was in flight when its worker died sent again; otherwise it fails with TOOL_INTERRUPTED.
     */
    idempotent: z.boolean().default(false),
  })
  .strict();
export type HttpToolInput = z.input<typeof httpToolSchema>;
export type HttpTool = z.output<typeof httpToolSchema>;

/**
 * A tool the worker can run. Built-in tools are defined in `calls/builtin-tools.ts` and run as call-control
 * commands on the instance that owns the call.
 */
export type ToolDefinition = { kind: 'builtin'; name: BuiltinToolName } | ({ kind: 'http' } & HttpTool);

/** The tools agents may call: the built-ins plus the configured HTTP tools, validated once. */
export class ToolCatalog {
  readonly #http = new Map<string, HttpTool>();

  constructor(httpTools: readonly HttpToolInput[] = []) {
    const issues: { variable: string; message: string }[] = [];
    httpTools.forEach((input, i) => {
      const parsed = httpToolSchema.safeParse(input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          issues.push({ variable: `tools[${i}].${issue.path.join('.')}`, message: issue.message });
        }
      } else if (this.#http.has(parsed.data.name)) {
        issues.push({ variable: `tools[${i}].name`, message: `duplicate tool ${parsed.data.name}` });
      } else {
        this.#http.set(parsed.data.name, parsed.data);
      }
    });
    if (issues.length > 0) throw new ConfigError(issues);
  }

  resolve(name: string): ToolDefinition | undefined {
    if (isBuiltinToolName(name)) return { kind: 'builtin', name };
    const http = this.#http.get(name);
    return http ? { kind: 'http', ...http } : undefined;
  }

  /** Whether repeating a call of this tool after an interruption is harmless. */
  isIdempotent(name: string): boolean {
    return this.#http.get(name)?.idempotent ?? false;
  }

  names(): string[] {
    return [...BUILTIN_TOOL_NAMES, ...this.#http.keys()];
  }
}
