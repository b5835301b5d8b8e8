import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaClock } from '../../src/audio/media-clock.js';
import { CallRegistry } from '../../src/calls/call-registry.js';
import { CallSession } from '../../src/calls/call-session.js';
import { routeSchema } from '../../src/config/routes.js';
import { registerConsole } from '../../src/http/console/register-console.js';
import { createLogger } from '../../src/observability/logger.js';
import { SipWsRegistrar } from '../fakes/sip-ws-registrar.js';
import { waitFor } from '../support/wait.js';
import { launchChromium } from '../support/browser.js';

/** What the page shows may take a while on a busy machine; only the outcome is checked. */
const POLL = { timeout: 15_000 };
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const TOKEN = 'console-read-token-for-webphone-01';

/** The codecs the shipped `[webphone]` endpoint allows (asterisk-conf/pjsip_webphone.conf), in order. */
export function shippedWebphoneAllow(): string[] {
  const text = readFileSync(new URL('../../asterisk-conf/pjsip_webphone.conf', import.meta.url), 'utf8');
  let section = '';
  let type = '';
  const allow: string[] = [];
  const found: string[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      if (section === 'webphone' && type === 'endpoint') found.push([...allow]);
      section = head[1] ?? '';
      type = '';
      allow.length = 0;
      continue;
    }
    const kv = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    if (kv[1] === 'type') type = kv[2] ?? '';
    if (kv[1] === 'allow') allow.push(...(kv[2] ?? '').split(',').map((c) => c.trim()));
  }
  if (section === 'webphone' && type === 'endpoint') found.push([...allow]);
  return found[0] ?? [];
}

/** Chromium switches for a web phone: fake microphone, no permission prompt, audio plays without a click. */
const PHONE_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

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

  it('the shipped webphone endpoint works without codec_opus: ulaw first, no Opus', () => {
    const allow = shippedWebphoneAllow();
    expect(allow[0]).toBe('ulaw');
    expect(allow).not.toContain('opus');
  });

  it('registers to a SIP-over-WebSocket registrar, calls a route, and hangs up', async () => {
    // The registrar answers as the shipped endpoint does.
    registrar = await SipWsRegistrar.start({ allow: shippedWebphoneAllow() });
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

    browser = await launchChromium(PHONE_ARGS);
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
    // A WebRTC offer: DTLS-SRTP with ICE, opus and μ-law among the codecs; the shipped endpoint picks μ-law.
    expect(invite.offer).toContain('UDP/TLS/RTP/SAVPF');
    expect(invite.offer).toMatch(/a=rtpmap:\d+ opus\/48000/);
    expect(invite.offer).toMatch(/a=rtpmap:0 PCMU\/8000/);
    expect(invite.codec).toBe('PCMU');
    await waitFor(() => registrar!.received('ACK').length === 1, 5000, 'the ACK');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('console-webphone-in-call.png', ARTIFACTS).pathname, fullPage: true });

    await page.getByRole('button', { name: 'End call' }).click();
    await expect.poll(() => page.locator('#phone-status').textContent(), POLL).toBe('Call ended');
    expect(registrar.received('BYE')).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe('console web phone: why the adapter ended the call', () => {
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

  it('/favicon.ico is not a 404', async () => {
    fastify = Fastify();
    registerConsole(fastify, {
      registry: new CallRegistry(),
      db: () => undefined,
      authenticate: () => undefined,
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const { port } = fastify.server.address() as AddressInfo;
    const favicon = await fetch(`http://127.0.0.1:${port}/favicon.ico`);
    expect(favicon.status).toBe(204);
  });

  it('shows the close reason of the call the phone placed (matched by its SIP Call-ID)', async () => {
    registrar = await SipWsRegistrar.start({ allow: shippedWebphoneAllow() });
    const registry = new CallRegistry();
    fastify = Fastify();
    registerConsole(fastify, {
      registry,
      db: () => undefined,
      authenticate: (token) => (token === TOKEN ? { name: 'viewer', scope: 'read' } : undefined),
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const { port } = fastify.server.address() as AddressInfo;

    browser = await launchChromium(PHONE_ARGS);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/console/`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByLabel('SIP WebSocket server').fill(registrar.url);
    await page.getByLabel('SIP address').fill('sip:webphone@127.0.0.1');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await expect.poll(() => page.locator('#phone-status').textContent(), POLL).toContain('Registered');
    await page.getByLabel('Number to call').fill('100');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await expect.poll(() => page.locator('#phone-status').textContent(), POLL).toContain('In call');
    const sipCallId = registrar.received('INVITE')[0]!.header('Call-ID')!;

    // The adapter's side of this call, as a Stasis call records it (the caller channel's protocol_id).
    const session = new CallSession({
      info: {
        callId: 'call-webphone-1',
        direction: 'inbound',
        caller: 'webphone',
        callee: '100',
        route: { ...routeSchema.parse({ name: 'webphone', agent: { kind: 'echo' } }), audioFormat: 'slin' },
        legFormat: { encoding: 'pcm16', sampleRate: 8000 },
        channelId: '1700000000.1',
        startedAt: new Date(),
        customParameters: {},
      },
      agentFactory: () => {
        throw new Error('no agent in this test');
      },
      clock: new MediaClock(),
      playoutMaxMs: 1000,
      bargeIn: false,
      agentConnectTimeoutMs: 1000,
      logger: createLogger({ level: 'silent', pretty: false }),
    });
    registry.add(session, []);
    session.record('call.started', {
      direction: 'inbound',
      channel: '1700000000.1',
      caller: 'webphone',
      exten: '100',
      protocolId: sipCallId,
    });
    // Asterisk hangs up the phone (BYE), then the adapter's call ends: the reason may come after the BYE.
    expect(registrar.bye(sipCallId)).toBe(true);
    await expect.poll(() => page.locator('#phone-status').textContent(), POLL).toMatch(/^Call ended/);
    await session.close('media_left_bridge');
    await expect
      .poll(() => page.locator('#phone-status').textContent(), POLL)
      .toContain('Call ended: media_left_bridge');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
