import { afterEach, describe, expect, it } from 'vitest';
import type { CallLifecycleEvent } from '../../src/calls/call-session.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { waitFor } from '../support/wait.js';

describe('lifecycle events of a Stasis call', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('media.requested comes before media.connected and names the media channel Asterisk created', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const events: CallLifecycleEvent[] = [];
    h.app.registry.on('added', (session) => session.on('event', (e: CallLifecycleEvent) => events.push(e)));
    const caller = await h.sim.placeInboundCall({ caller: '+4930111', extension: '100', audio: { type: 'silence' } });
    await waitFor(() => events.some((e) => e.type === 'media.connected'), 10_000, 'media connected');
    const types = events.map((e) => e.type);
    expect(types.indexOf('media.requested')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('media.requested')).toBeLessThan(types.indexOf('media.connected'));
    const requested = events.find((e) => e.type === 'media.requested')!;
    const mediaChannels = h.sim.channels().filter((c) => c.id !== caller.id);
    expect(mediaChannels.map((c) => c.id)).toEqual([requested.data.mediaChannel]);
    await caller.hangup();
  });
});
