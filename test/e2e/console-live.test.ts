import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../src/db/calls-repository.js';
import { registerConsole } from '../../src/http/console/register-console.js';
import { createHttpServer, type HttpServer } from '../../src/http/http-server.js';
import { TokenAuthenticator } from '../../src/http/token-auth.js';
import { createTempDatabase, type TempDatabase } from '../integration/db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../integration/jobs/job-test-env.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { until, waitFor } from '../support/wait.js';
import { launchChromium } from '../support/browser.js';

/** What the page shows may take a while on a busy machine; only the outcome is checked. */
const POLL = { timeout: 15_000 };
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const CONTROL = 'console-control-token-0123456789';
const READ = 'console-read-token-0123456789ab';

/**
 * The REST API server (`createHttpServer`, the real `/v1/calls/:id/hangup` control route) with the console
 * registered on it before it listens, as the composition root mounts it.
 */
async function serveConsole(h: AriHarness): Promise<{ server: HttpServer; base: string }> {
  const tokens = [
    { name: 'operator', scope: 'control' as const, token: CONTROL },
    { name: 'viewer', scope: 'read' as const, token: READ },
  ];
  const server = createHttpServer({
    config: { host: '127.0.0.1', port: 0, tokens, rateLimitPerMinute: 10_000, bodyLimitBytes: 1 << 20 },
    logger: h.logs.logger,
    control: () => h.app.jobs?.controlClient,
    db: () => h.app.db,
    accepting: () => true,
    metrics: h.app.metrics,
    audioSocketRoutes: { routeExists: () => false, register: () => undefined, defaultTtlMs: 60_000 },
  });
  const auth = new TokenAuthenticator(tokens);
  registerConsole(server.fastify, {
    registry: h.app.registry,
    db: () => h.app.db,
    authenticate: (token) => auth.authenticate(`Bearer ${token}`),
    logger: h.logs.logger,
  });
  const { port } = await server.listen();
  return { server, base: `http://127.0.0.1:${port}` };
}

describe('console (Playwright, Debian Chromium)', () => {
  let h: AriHarness | undefined;
  let tmp: TempDatabase | undefined;
  let prefix = '';
  let server: HttpServer | undefined;
  let browser: Browser | undefined;

  afterEach(async () => {
    await browser?.close();
    await server?.close();
    await h?.stop();
    await tmp?.drop();
    await cleanRedis(REDIS_URL, prefix);
    browser = undefined;
    server = undefined;
    h = undefined;
    tmp = undefined;
  });

  it('lists a live call, shows its transcript and events as they happen, and its hang-up button ends it', async () => {
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    h = await startAriHarness({
      DEFAULT_AGENT: 'echo',
      MYSQL_URL: tmp.url,
      REDIS_URL,
      JOBS_PREFIX: prefix,
      INSTANCE_ID: `test-${prefix}`,
    });
    const served = await serveConsole(h);
    server = served.server;

    // Unauthenticated reads are refused; the page itself carries no data.
    expect((await fetch(`${served.base}/v1/console/history`)).status).toBe(401);
    const page0 = await fetch(`${served.base}/console/`);
    expect(page0.status).toBe(200);
    expect(page0.headers.get('content-security-policy')).toContain("script-src 'self'");

    const caller = await h.sim.placeInboundCall({ caller: '+4930123', extension: '100' });
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const session = h.app.registry.list()[0]!;
    const callId = session.id;

    browser = await launchChromium();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${served.base}/console`);
    await page.getByLabel('API token').fill(CONTROL);
    await page.getByRole('button', { name: 'Connect' }).click();

    const row = page.locator(`#live-calls tr[data-call-id="${callId}"]`);
    await row.waitFor();
    await expect.poll(() => row.locator('.call-state').textContent(), POLL).toBe('active');
    expect(await row.textContent()).toContain('+4930123 → 100');
    expect(await row.textContent()).toContain('default');
    expect(await row.textContent()).toContain('echo');
    await row.getByRole('button', { name: /Show call/ }).click();
    await expect.poll(() => page.locator('#events').textContent(), POLL).toContain('media.connected');

    // Transcript lines arrive as session events (as the Realtime agent records them) and show up live.
    session.record('transcript', { role: 'caller', text: 'A table for two tonight, please.', itemId: 'item_c1' });
    await expect
      .poll(() => page.locator('#transcript').textContent(), POLL)
      .toContain('A table for two tonight, please.');
    session.record('transcript', { role: 'agent', text: '<b>Done</b> — see you at eight.', itemId: 'item_a1' });
    await expect.poll(() => page.locator('#transcript li').count(), POLL).toBe(2);
    // Call data is text, never markup.
    expect(await page.locator('#transcript b').count()).toBe(0);
    expect(await page.locator('#transcript').textContent()).toContain('<b>Done</b>');
    await expect.poll(() => page.locator('#events').textContent(), POLL).toContain('transcript');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('console-live-call.png', ARTIFACTS).pathname, fullPage: true });

    // A read token watches the same call but gets no control.
    const viewer = await browser.newPage();
    await viewer.goto(`${served.base}/console/`);
    await viewer.getByLabel('API token').fill(READ);
    await viewer.getByRole('button', { name: 'Connect' }).click();
    const viewerRow = viewer.locator(`#live-calls tr[data-call-id="${callId}"]`);
    await viewerRow.getByRole('button', { name: /Show call/ }).click();
    await expect.poll(() => viewer.locator('#transcript li').count(), POLL).toBe(2);
    expect(await viewer.getByRole('button', { name: 'Hang up' }).isDisabled()).toBe(true);
    expect(await viewer.locator('#status').textContent()).toBe('Connected as viewer (read)');
    await viewer.close();

    // Hang up from the console: the REST control route → job layer → the call ends in Asterisk and in MySQL.
    await page.getByRole('button', { name: 'Hang up' }).click();
    const end = await caller.ended;
    expect(end.cause).toBeGreaterThan(0);
    expect(
      h.sim.eventLog().some((d) => d.event.type === 'ChannelHangupRequest' || d.event.type === 'ChannelDestroyed'),
    ).toBe(true);
    // The ended call leaves "Live calls"; its details stay open with the reason, and it can no longer be hung up.
    await expect.poll(() => row.count(), POLL).toBe(0);
    await expect.poll(() => page.locator('#live-count').textContent(), POLL).toBe('(0)');
    await expect.poll(() => page.locator('#detail-info').textContent(), POLL).toContain('control_hangup');
    expect(await page.getByRole('button', { name: 'Hang up' }).isDisabled()).toBe(true);
    await expect.poll(() => page.locator('#action-result').textContent(), POLL).toBe('hangup done');
    const calls = new CallsRepository(tmp.db);
    const stored = await until(async () => {
      const r = await calls.get(callId);
      return r?.state === 'ended' ? r : undefined;
    });
    expect(stored.closeReason).toBe('control_hangup');

    // The ended call is in the history, found by its caller's number.
    await page.getByLabel('Search').fill('4930123');
    await page.getByRole('button', { name: 'Search' }).click();
    const historyRow = page.locator(`#history tr[data-call-id="${callId}"]`);
    await historyRow.waitFor();
    await expect.poll(() => historyRow.textContent(), POLL).toContain('control_hangup');
    await page.getByLabel('Search').fill('no-such-caller');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('#history tbody tr').count(), POLL).toBe(0);
    await page.screenshot({ path: new URL('console-after-hangup.png', ARTIFACTS).pathname, fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('its transfer form sends the caller on in the dialplan through the REST control route', async () => {
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    h = await startAriHarness({
      DEFAULT_AGENT: 'echo',
      MYSQL_URL: tmp.url,
      REDIS_URL,
      JOBS_PREFIX: prefix,
      INSTANCE_ID: `test-${prefix}`,
    });
    const served = await serveConsole(h);
    server = served.server;
    const caller = await h.sim.placeInboundCall({ caller: '+4930777', extension: '100' });
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const callId = h.app.registry.list()[0]!.id;

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${served.base}/console/`);
    await page.getByLabel('API token').fill(CONTROL);
    await page.keyboard.press('Enter');
    const row = page.locator(`#live-calls tr[data-call-id="${callId}"]`);
    await row.getByRole('button', { name: /Show call/ }).click();
    await page.getByLabel('Transfer to').fill('300');
    await page.getByLabel('Context (for an extension)').fill('from-internal');
    await page.getByRole('button', { name: 'Transfer' }).click();

    await expect.poll(() => page.locator('#action-result').textContent(), POLL).toBe('transfer done');
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'call handed off');
    // The caller left Stasis for the dialplan and was not hung up by the adapter.
    expect(caller.inStasis).toBe(false);
    expect(caller.events.some((e) => e.type === 'ChannelHangupRequest')).toBe(false);
    await expect.poll(() => row.count(), POLL).toBe(0);
    const stored = await until(async () => {
      const r = await new CallsRepository(tmp!.db).get(callId);
      return r?.state === 'ended' ? r : undefined;
    });
    expect(stored.closeReason).toBe('transferred');
    await caller.hangup();
  }, 60_000);

  it('a call that is ending can no longer be hung up from the console', async () => {
    // The fallback announcement keeps the call in `ending` while it plays (5 s in the simulated Asterisk).
    h = await startAriHarness(
      {},
      {
        routesJson: {
          routes: [{ name: 'fb', agent: { kind: 'echo' }, fallback: { action: 'play', media: 'sound:tt-allbusy' } }],
        },
        sim: { playbackMs: 5000 },
      },
    );
    const served = await serveConsole(h);
    server = served.server;
    await h.sim.placeInboundCall({ caller: '+4930555', extension: '100' });
    await waitFor(() => h!.app.registry.size === 1 && h!.app.registry.list()[0]!.state === 'active');
    const session = h.app.registry.list()[0]!;
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${served.base}/console/`);
    await page.getByLabel('API token').fill(CONTROL);
    await page.getByRole('button', { name: 'Connect' }).click();
    const row = page.locator(`#live-calls tr[data-call-id="${session.id}"]`);
    await row.getByRole('button', { name: /Show call/ }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Hang up' }).isDisabled(), POLL).toBe(false);
    const ended = session.close('agent_failed');
    await expect.poll(() => row.locator('.call-state').textContent(), POLL).toBe('ending');
    expect(await page.getByRole('button', { name: 'Hang up' }).isDisabled()).toBe(true);
    await ended;
    await expect.poll(() => row.count(), POLL).toBe(0);
    await expect.poll(() => page.locator('#detail-info').textContent(), POLL).toContain('agent_failed');
  }, 60_000);
});
