import { afterEach, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/calls/call-session.js';
import type { CloseReason } from '../../src/calls/close-reason.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import {
  type ChanWebSocketHarness,
  startChanWebSocketHarness,
  websocketRoutes,
} from '../support/chan-websocket-harness.js';
import { waitFor } from '../support/wait.js';

/** The call's media channel (the AudioSocket externalMedia channel), once requested. */
function mediaChannelOf(session: CallSession): string | undefined {
  const tel = session.telephony as { resources?: { mediaChannelId?: string } } | undefined;
  return tel?.resources?.mediaChannelId;
}

async function expectNothingLeft(h: AriHarness): Promise<void> {
  await waitFor(() => h.app.registry.size === 0, 20_000, 'no live calls');
  await waitFor(
    () => h.sim.channels().length === 0 && h.sim.bridges().length === 0,
    20_000,
    'no channels or bridges left',
  );
}

/** Close reasons of every call that ends from now on. */
function endReasons(h: AriHarness): CloseReason[] {
  const reasons: CloseReason[] = [];
  h.app.registry.on('removed', (s) => reasons.push(s.endSummary?.reason ?? 'error'));
  return reasons;
}

describe('Stasis call set-up does not depend on the order of ARI events and answers', () => {
  let h: AriHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('bridges the media channel when its StasisStart comes after the externalMedia answer', async () => {
    // Real Asterisk enters Stasis on another thread: addChannel before the StasisStart is a 422.
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' }, { sim: { mediaStasisDelayMs: 150 } });
    const reasons = endReasons(h);
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h!.app.registry.size === 1, 10_000, 'the call');
    const session = h.app.registry.list()[0]!;
    await waitFor(() => h!.sim.bridges()[0]?.channels.length === 2, 10_000, 'caller and media channel bridged');
    const media = h.sim.channel(mediaChannelOf(session) ?? '');
    expect(media?.bridgeId).toBe(h.sim.bridges()[0]!.id);
    // The join came after the media channel's StasisStart.
    const log = h.sim.eventLog().map((d) => d.event);
    const stasisAt = log.findIndex((e) => e.type === 'StasisStart' && e.channel?.id === media?.id);
    const joinedAt = log.findIndex((e) => e.type === 'ChannelEnteredBridge' && e.channel?.id === media?.id);
    expect(stasisAt).toBeGreaterThanOrEqual(0);
    expect(joinedAt).toBeGreaterThan(stasisAt);
    expect(session.closing).toBe(false);
    await caller.hangup();
    await session.done;
    expect(reasons).toEqual(['caller_hangup']);
    await expectNothingLeft(h);
  });

  it('a caller who hangs up while the media channel is entering Stasis ends as caller_hangup, nothing left', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' }, { sim: { mediaStasisDelayMs: 400 } });
    const reasons = endReasons(h);
    const caller = await h.sim.placeInboundCall();
    await waitFor(
      () => {
        const s = h!.app.registry.list()[0];
        return s !== undefined && mediaChannelOf(s) !== undefined;
      },
      10_000,
      'the media channel requested',
    );
    await caller.hangup();
    await expectNothingLeft(h);
    expect(reasons).toEqual(['caller_hangup']);
  });

  it('the media channel leaving the bridge ends the call at once as media_left_bridge', async () => {
    h = await startAriHarness({ DEFAULT_AGENT: 'echo' });
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h!.app.registry.list()[0]?.state === 'active', 10_000, 'the call active');
    await waitFor(() => h!.sim.bridges()[0]?.channels.length === 2, 10_000, 'caller and media channel bridged');
    const session = h.app.registry.list()[0]!;
    const media = h.sim.channel(mediaChannelOf(session) ?? '');
    expect(media?.bridgeId).toBeDefined();
    // What Asterisk does when the bridge finds no translation path (the web phone negotiated Opus without codec_opus).
    expect(media!.leaveBridge()).toBe(true);
    await session.done;
    expect(session.endSummary).toMatchObject({ reason: 'media_left_bridge', initiator: 'system' });
    await caller.ended;
    const line = h.logs.find(/media channel left the bridge/)[0];
    expect(line).toMatchObject({ callId: session.id, channel: media!.id });
    await expectNothingLeft(h);
  });

  it('200 calls set up in a burst, StasisStart early and late: every one is bridged, none fails', async () => {
    const delays = [0, 0, 5, 20, 60];
    let n = 0;
    // A test of set-up correctness, not of speed: on a busy machine 200 set-ups in one process take seconds, so
    // the request and idle timeouts are out of the way.
    h = await startAriHarness(
      { DEFAULT_AGENT: 'echo', ARI_REQUEST_TIMEOUT_MS: '60000', AUDIOSOCKET_IDLE_TIMEOUT_MS: '120000' },
      { sim: { mediaStasisDelayMs: () => delays[n++ % delays.length]! } },
    );
    const reasons = endReasons(h);
    const CALLS = 200;
    const callers = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        h!.sim.placeInboundCall({ caller: `+49301${String(i).padStart(4, '0')}` }),
      ),
    );
    const bridged = () => h!.sim.bridges().filter((b) => b.channels.length === 2).length;
    await waitFor(() => bridged() === CALLS || reasons.length > 0, 90_000, 'every call bridged');
    expect(reasons).toEqual([]);
    expect(bridged()).toBe(CALLS);
    expect(h.app.registry.size).toBe(CALLS);
    expect(h.logs.find(/setting up the call in Asterisk failed/)).toEqual([]);
    await Promise.all(callers.map((c) => c.hangup()));
    await expectNothingLeft(h);
    expect(reasons).toHaveLength(CALLS);
    expect(new Set(reasons)).toEqual(new Set(['caller_hangup']));
  }, 150_000);
});

describe('chan_websocket set-up and media loss', () => {
  let h: ChanWebSocketHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('bridges a late-entering chan_websocket channel, and its leaving the bridge ends the call as media_left_bridge', async () => {
    h = await startChanWebSocketHarness(
      {},
      { routesJson: websocketRoutes({ kind: 'echo' }) },
      { mediaStasisDelayMs: 150 },
    );
    const caller = await h.sim.placeInboundCall();
    await waitFor(() => h!.sim.bridges()[0]?.channels.length === 2, 10_000, 'caller and media channel bridged');
    await waitFor(() => h!.app.registry.list()[0]?.state === 'active', 10_000, 'the call active');
    const session = h.app.registry.list()[0]!;
    const media = h.sim.channel(mediaChannelOf(session) ?? '');
    expect(media?.name).toMatch(/^WebSocket\//);
    expect(media!.leaveBridge()).toBe(true);
    await session.done;
    expect(session.endSummary).toMatchObject({ reason: 'media_left_bridge' });
    await caller.ended;
    await waitFor(() => h!.sim.channels().length === 0 && h!.sim.bridges().length === 0, 20_000, 'nothing left');
  });
});
