import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/config-error.js';
import { ToolCatalog } from '../../../src/jobs/tool-catalog.js';

describe('ToolCatalog', () => {
  it('resolves built-ins and configured HTTP tools with defaults', () => {
    const c = new ToolCatalog([{ name: 'lookup', url: 'http://127.0.0.1:1/x', secret: 's'.repeat(16) }]);
    expect(c.resolve('hangup')).toEqual({ kind: 'builtin', name: 'hangup' });
    expect(c.resolve('lookup')).toMatchObject({
      kind: 'http',
      timeoutMs: 10_000,
      idempotent: false,
      retry: { maxAttempts: 3 },
    });
    expect(c.resolve('nope')).toBeUndefined();
    expect(c.names()).toEqual(['hangup', 'transfer', 'send_dtmf', 'play', 'lookup']);
    expect(c.isIdempotent('lookup')).toBe(false);
  });

  it('refuses bad definitions, naming each one', () => {
    const attempt = () =>
      new ToolCatalog([
        { name: 'hangup', url: 'http://x/', secret: 's'.repeat(16) },
        { name: 'ok', url: 'ftp://x/', secret: 'short' },
        { name: 'dup', url: 'http://x/', secret: 's'.repeat(16) },
        { name: 'dup', url: 'http://y/', secret: 's'.repeat(16) },
      ]);
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const vars = (err as ConfigError).issues.map((i) => i.variable);
      expect(vars).toEqual(
        expect.arrayContaining(['tools[0].name', 'tools[1].url', 'tools[1].secret', 'tools[3].name']),
      );
    }
  });
});
