import { z } from 'zod';
import type { ConfigIssue } from '../errors/config-error.js';
import { checkRealtimeAgent, realtimeAgentObject } from './realtime-route.js';

/**
 * Route configuration of the OpenAI Realtime agent over SIP (`agent.kind = "openai-sip"`): Asterisk dials the
 * provider's SIP endpoint and bridges it with the caller, so the audio never passes through the adapter. The
 * adapter accepts the provider's incoming-call webhook with the session below and controls the session over the
 * sideband WebSocket (`<url>?call_id=…`). The session keys are those of `openai-realtime` routes (GA dialect);
 * the audio keys of the relay (`audio`, `appendMs`, `bargeIn`, `apiVersion`, `replayItems`) do not apply.
 */

const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'the NAME of an environment variable, e.g. OPENAI_WEBHOOK_SECRET');

/** The SIP header that carries the adapter's call id to the provider (and back in the webhook's `sip_headers`). */
export const SIP_CALL_ID_HEADER = 'X-Ava-Call-Id';

export const OPENAI_SIP_DEFAULT_HOST = 'sip.api.openai.com';

export const openaiSipAgentSchema = realtimeAgentObject
  .omit({ kind: true, apiVersion: true, audio: true, appendMs: true, bargeIn: true, replayItems: true })
  .extend({
    kind: z.literal('openai-sip'),
    /** The OpenAI project the SIP call goes to (`proj_…`): the user part of the SIP URI. */
    projectId: z.string().regex(/^proj_[A-Za-z0-9]+$/, 'an OpenAI project id like proj_abc123'),
    /** PJSIP endpoint of asterisk-conf/pjsip.conf that carries the call (TLS transport, SRTP). */
    endpoint: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a PJSIP endpoint name')
      .default('openai'),
    /** SIP host of the provider: `sip.api.openai.com`, or a regional one such as `sip-eu.api.openai.com`. */
    sipHost: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,253}$/, 'a host name')
      .default(OPENAI_SIP_DEFAULT_HOST),
    /**
     * Environment variable holding the project's webhook signing secret(s) (`whsec_…`); several, separated by
     * spaces or commas, while a secret is being rotated.
     */
    webhookSecretEnv: envName,
    /**
     * Longest wait, from the dial, for the incoming-call webhook to be accepted and the SIP leg to answer; then
     * the call takes the route's fallback (`agent.failed` with `SIP_ACCEPT_TIMEOUT`).
     */
    acceptTimeoutMs: z.number().int().min(1000).max(120_000).default(10_000),
  })
  .strict()
  .superRefine((a, ctx) => checkRealtimeAgent({ ...a, apiVersion: 'ga' }, ctx));

export type OpenAiSipAgentConfig = z.output<typeof openaiSipAgentSchema>;

/** The Asterisk dial string of a SIP-path call: `PJSIP/<endpoint>/sip:<project>@<host>;transport=tls`. */
export function openaiSipDialString(a: Pick<OpenAiSipAgentConfig, 'endpoint' | 'projectId' | 'sipHost'>): string {
  return `PJSIP/${a.endpoint}/sip:${a.projectId}@${a.sipHost};transport=tls`;
}

/** The secrets of a `webhookSecretEnv` value: one or more, separated by whitespace or commas. */
export function splitWebhookSecrets(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * The webhook secrets of every `openai-sip` route, by route name, from the variables the routes name. A missing
 * variable, or a secret without the `whsec_` prefix and a base64 key, is a config issue.
 */
export function resolveSipWebhookSecrets(
  routes: readonly { readonly name: string; readonly agent: { readonly kind: string } }[],
  env: Readonly<Record<string, string | undefined>>,
  issues: ConfigIssue[],
): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const r of routes) {
    if (r.agent.kind !== 'openai-sip') continue;
    const name = (r.agent as OpenAiSipAgentConfig).webhookSecretEnv;
    const secrets = splitWebhookSecrets(env[name] ?? '');
    if (secrets.length === 0) {
      issues.push({ variable: name, message: `route "${r.name}" names it as its webhook secret, but it is not set` });
      continue;
    }
    const bad = secrets.find((s) => !/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/.test(s));
    if (bad !== undefined) {
      issues.push({ variable: name, message: `route "${r.name}": each secret is whsec_ followed by base64` });
      continue;
    }
    out[r.name] = secrets;
  }
  return out;
}
