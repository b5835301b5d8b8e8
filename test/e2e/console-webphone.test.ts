import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { registerConsole } from '../../src/http/console/register-console.js';
import { createLogger } from '../../src/observability/logger.js';
import { SipWsRegistrar } from '../fakes/sip-ws-registrar.js';
import { waitFor } from '../support/wait.js';
import { launchChromium } from '../support/browser.js';

/** What the page shows may take a while on a busy machine; only the outcome is checked. */
const POLL = { timeout: 15_000 };
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const TOKEN = 'console-read-token-for-webphone-01';

describe('console web phone (sip.js in Debian Chromium)', () => {
  let fastify: FastifyInstance | undefined;
  let registrar: SipWsRegistrar | undefined;
  let browser: Browser | undefined;

  afterEach(async () => {
    await browser?.close();
    await fastify?.close();
    await registrar?.close();
    browser = undefined;
    fastify = undefined;
    registrar = undefined;
  });

  it('registers to a SIP-over-WebSocket registrar, calls a route, and hangs up', async () => {
    registrar = await SipWsRegistrar.start();
    fastify = Fastify();
    registerConsole(fastify, {
      registry: new CallRegistry(),
      db: () => undefined,
      authenticate: (token) => (token === TOKEN ? { name: 'viewer', scope: 'read' } : undefined),
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const { port } = fastify.server.address() as AddressInfo;

    // sip.js comes from node_modules through the adapter, as ES modules.
    const lib = await fetch(`http://127.0.0.1:${port}/console/vendor/sip.js/index.js`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`http://127.0.0.1:${port}/console/vendor/sip.js/../../package.json`)).status).toBe(404);

    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ]);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/console/`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('#phone').waitFor();

    await page.getByLabel('SIP WebSocket server').fill(registrar.url);
    await page.getByLabel('SIP address').fill('sip:webphone@127.0.0.1');
    await page.getByLabel('Username').fill('webphone');
    await page.getByLabel('Password').fill('webphone-secret');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await expect
      .poll(() => page.locator('#phone-status').textContent(), POLL)
      .toBe('Registered as sip:webphone@127.0.0.1');
    expect(registrar.registrations).toHaveLength(1);
    expect(registrar.registrations[0]!.aor).toContain('sip:webphone@127.0.0.1');
    expect(registrar.registrations[0]!.contact).toContain('transport=ws');

    await page.getByLabel('Number to call').fill('100');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(() => page.locator('#phone-status').textContent(), POLL).toBe('In call with sip:100@127.0.0.1');
    const invite = registrar.invites[0]!;
    expect(invite.requestUri).toBe('sip:100@127.0.0.1');
    expect(invite.from).toContain('sip:webphone@127.0.0.1');
    // A WebRTC offer: DTLS-SRTP with ICE, opus and μ-law among the codecs (what the webphone endpoint allows).
    expect(invite.offer).toContain('UDP/TLS/RTP/SAVPF');
    expect(invite.offer).toMatch(/a=rtpmap:\d+ opus\/48000/);
    expect(invite.offer).toMatch(/a=rtpmap:0 PCMU\/8000/);
    expect(invite.codec).toBe('opus');
    await waitFor(() => registrar!.received('ACK').length === 1, 5000, 'the ACK');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('console-webphone-in-call.png', ARTIFACTS).pathname, fullPage: true });

    await page.getByRole('button', { name: 'End call' }).click();
    await expect.poll(() => page.locator('#phone-status').textContent(), POLL).toBe('Call ended');
    expect(registrar.received('BYE')).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
