import { describe, expect, it } from 'vitest';
import { parseEnv, parseRoutesFile } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/config-error.js';

function issuesOf(fn: () => unknown): readonly { variable: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration error messages', () => {
  it('environment enums list the allowed values and echo the bad one', () => {
    expect(issuesOf(() => parseEnv({ MEDIA_FORMAT: 'slin8' }))).toEqual([
      { variable: 'MEDIA_FORMAT', message: 'must be one of "slin", "slin16" (got "slin8")' },
    ]);
  });

  it('a bad secret is never echoed', () => {
    const issues = issuesOf(() => parseEnv({ WEBHOOK_SECRET: 'short-secret' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.variable).toBe('WEBHOOK_SECRET');
    expect(issues[0]!.message).not.toContain('short-secret');
    expect(issues[0]!.message).toContain('value not shown');
  });

  it('routes file: literal unions, enums and discriminators list the allowed values and echo the bad one', () => {
    const file = JSON.stringify({
      routes: [
        { name: 'a', audioFormat: 'slin8', agent: { kind: 'websocket', url: 'ws://x', sampleRate: 12345 } },
        { name: 'b', agent: { kind: 'websockt', url: 'ws://x' } },
      ],
    });
    const messages = issuesOf(() => parseRoutesFile('routes.json', file)).map((i) => `${i.variable}: ${i.message}`);
    expect(messages).toContain(
      'ROUTES_FILE routes.json:routes.0.agent.sampleRate: must be one of 8000, 16000, 24000 (got 12345)',
    );
    expect(messages).toContain(
      'ROUTES_FILE routes.json:routes.0.audioFormat: must be one of "slin", "slin16", "ulaw", "alaw" (got "slin8")',
    );
    expect(messages.find((m) => m.includes('routes.1.agent.kind'))).toMatch(
      /must be one of "echo", "websocket", .* \(got "websockt"\)$/,
    );
  });
});
