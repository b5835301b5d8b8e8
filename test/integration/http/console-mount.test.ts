import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { startTestApp } from '../../support/app-harness.js';

describe('the running service serves the console', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop(1000);
    app = undefined;
  });

  it('serves /console/ and guards its API with the REST tokens', async () => {
    const started = await startTestApp({ HTTP_ENABLED: 'true', API_TOKENS: 'ops:read:console-test-token-0123456789' });
    app = started.app;
    const base = `http://127.0.0.1:${app.http!.address!.port}`;
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toBeTruthy();
    const anonymous = await fetch(`${base}/v1/console/history`);
    expect(anonymous.status).toBe(401);
    const reader = await fetch(`${base}/v1/console/history`, {
      headers: { authorization: 'Bearer console-test-token-0123456789' },
    });
    // No MySQL configured in this test: the history answers 503, but the token was accepted.
    expect(reader.status).toBe(503);
  });
});
