import { afterEach, describe, expect, it } from 'vitest';
import { type AriHarness, startAriHarness } from '../../support/ari-harness.js';
import { waitFor } from '../../support/wait.js';

describe('caller allowlist per route', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('admits allowed callers and hangs up every other caller without making a call or a media leg', async () => {
    h = await startAriHarness(
      {},
      {
        routesJson: {
          routes: [
            {
              name: 'berlin-only',
              match: { extension: '100' },
              agent: { kind: 'echo' },
              callerAllowlist: ['\\+4930\\d+', '1000'],
            },
            { name: 'open', match: { extension: '200' }, agent: { kind: 'echo' } },
          ],
        },
      },
    );
    const started: string[] = [];
    h.app.registry.on('added', (s) => started.push(String(s.info.caller)));
    const rejected = [
      await h.sim.placeInboundCall({ caller: '+15551234', extension: '100' }),
      // Anchored: a prefix or suffix match is not enough.
      await h.sim.placeInboundCall({ caller: '+4930123x', extension: '100' }),
      await h.sim.placeInboundCall({ caller: '10000', extension: '100' }),
      await h.sim.placeInboundCall({ caller: '', extension: '100' }),
    ];
    const allowed = await h.sim.placeInboundCall({ caller: '+4930123', extension: '100' });
    const otherRoute = await h.sim.placeInboundCall({ caller: '+15551234', extension: '200' });
    await Promise.all(rejected.map((c) => c.ended));
    await waitFor(() => h!.app.registry.size === 2 && h!.media.length === 2, 10_000, 'the two admitted calls');
    expect(started.sort()).toEqual(['+15551234', '+4930123']);
    expect(h.logs.find('caller not on the route allowlist; rejecting')).toHaveLength(rejected.length);
    await allowed.hangup();
    await otherRoute.hangup();
    await waitFor(() => h!.app.registry.size === 0, 10_000, 'calls ended');
  });
});
