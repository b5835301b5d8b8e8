import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../../src/errors/config-error.js';
import {
  openaiSipAgentSchema,
  openaiSipDialString,
  resolveSipWebhookSecrets,
} from '../../../src/config/openai-sip-route.js';
import { withoutAudioFormats } from '../../../src/calls/agents/realtime-session-config.js';
import { realtimeCallsBase, sidebandUrl } from '../../../src/transports/realtime/realtime-calls-client.js';

const base = { kind: 'openai-sip', projectId: 'proj_abc123', secretEnv: 'OPENAI_API_KEY', webhookSecretEnv: 'WH' };

describe('openai-sip route', () => {
  it('defaults the endpoint, host, accept timeout and the Realtime session keys', () => {
    const a = openaiSipAgentSchema.parse(base);
    expect(a).toMatchObject({
      endpoint: 'openai',
      sipHost: 'sip.api.openai.com',
      acceptTimeoutMs: 10_000,
      url: 'wss://api.openai.com/v1/realtime',
      model: 'gpt-realtime',
    });
    expect(openaiSipDialString(a)).toBe('PJSIP/openai/sip:proj_abc123@sip.api.openai.com;transport=tls');
  });

  it('refuses relay-only keys, a bad project id and a missing API key for OpenAI', () => {
    expect(openaiSipAgentSchema.safeParse({ ...base, appendMs: 40 }).success).toBe(false);
    expect(openaiSipAgentSchema.safeParse({ ...base, projectId: 'abc' }).success).toBe(false);
    const noKey = openaiSipAgentSchema.safeParse({ ...base, secretEnv: undefined });
    expect(noKey.success).toBe(false);
    expect(JSON.stringify(noKey.error?.issues)).toContain('secretEnv');
  });

  it('resolves webhook secrets (several while rotating) and reports missing or malformed ones', () => {
    const routes = [{ name: 'sip', agent: openaiSipAgentSchema.parse(base) }];
    const issues: ConfigIssue[] = [];
    const good = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const other = 'whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==';
    expect(resolveSipWebhookSecrets(routes, { WH: `${good}, ${other}` }, issues)).toEqual({ sip: [good, other] });
    expect(issues).toEqual([]);
    resolveSipWebhookSecrets(routes, {}, issues);
    resolveSipWebhookSecrets(routes, { WH: 'plain-text' }, issues);
    expect(issues.map((i) => i.variable)).toEqual(['WH', 'WH']);
  });

  it('derives the calls API and the sideband URL from the Realtime base URL; strips audio formats', () => {
    expect(realtimeCallsBase('wss://api.openai.com/v1/realtime')).toBe('https://api.openai.com/v1/realtime');
    expect(realtimeCallsBase('ws://127.0.0.1:9/v1/realtime?model=x')).toBe('http://127.0.0.1:9/v1/realtime');
    expect(sidebandUrl('wss://api.openai.com/v1/realtime', 'rtc_1')).toBe(
      'wss://api.openai.com/v1/realtime?call_id=rtc_1',
    );
    const body = {
      type: 'realtime',
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: null },
        output: { format: {}, voice: 'marin' },
      },
    };
    expect(withoutAudioFormats(body)).toEqual({
      type: 'realtime',
      audio: { input: { turn_detection: null }, output: { voice: 'marin' } },
    });
  });
});
