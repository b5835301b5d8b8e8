import { describe, expect, it } from 'vitest';
import {
  type ChannelLiveness,
  type SilenceEndCause,
  SilenceWatchdog,
  silenceVerdict,
} from '../../../src/calls/silence-watchdog.js';

describe('silenceVerdict', () => {
  const ari = { kind: 'ari', checkAfterMs: 5000 } as const;

  it('ari rule: a quiet caller is checked, never ended by silence alone', () => {
    expect(silenceVerdict(ari, 4999, 5000)).toEqual({ kind: 'keep' });
    expect(silenceVerdict(ari, 5000, 5000)).toEqual({ kind: 'check' });
    expect(silenceVerdict(ari, 600_000, 600_000)).toEqual({ kind: 'check' });
  });

  it('ari rule: ends only when a channel is gone; up or unknown keeps the call', () => {
    expect(silenceVerdict(ari, 5000, 5000, { kind: 'up' })).toEqual({ kind: 'keep' });
    expect(silenceVerdict(ari, 5000, 5000, { kind: 'unknown', error: 'ECONNREFUSED' })).toEqual({ kind: 'keep' });
    expect(silenceVerdict(ari, 5000, 5000, { kind: 'gone', channel: 'media' })).toEqual({
      kind: 'end',
      cause: 'channel_gone',
    });
  });

  it('limit rule (dialplan-direct): ends after the limit; 0 never ends', () => {
    expect(silenceVerdict({ kind: 'limit', limitMs: 0 }, 3_600_000, Infinity)).toEqual({ kind: 'keep' });
    expect(silenceVerdict({ kind: 'limit', limitMs: 30_000 }, 29_999, Infinity)).toEqual({ kind: 'keep' });
    expect(silenceVerdict({ kind: 'limit', limitMs: 30_000 }, 30_000, Infinity)).toEqual({
      kind: 'end',
      cause: 'silence_limit',
    });
  });
});

/** A probe whose answers the test gives one at a time. */
function manualProbe() {
  const pending: Array<(l: ChannelLiveness) => void> = [];
  return {
    pending,
    probe: () => new Promise<ChannelLiveness>((resolve) => pending.push(resolve)),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('SilenceWatchdog', () => {
  it('keeps a silent caller whose channels are up, re-checking every checkAfterMs of silence', async () => {
    const p = manualProbe();
    const ended: SilenceEndCause[] = [];
    const w = new SilenceWatchdog({
      rule: { kind: 'ari', checkAfterMs: 5000 },
      probe: p.probe,
      onEnd: (cause) => ended.push(cause),
    });
    for (let t = 0; t < 5000; t += 20) w.tick(t);
    expect(p.pending).toHaveLength(0);
    w.tick(5000);
    w.tick(5020);
    // One check at a time.
    expect(p.pending).toHaveLength(1);
    p.pending.shift()!({ kind: 'up' });
    await flush();
    for (let t = 5040; t < 10_020; t += 20) w.tick(t);
    expect(p.pending).toHaveLength(0);
    w.tick(10_020);
    expect(p.pending).toHaveLength(1);
    p.pending.shift()!({ kind: 'unknown', error: 'ARI down' });
    await flush();
    w.tick(12_000);
    expect(ended).toEqual([]);
    expect(w.stats.checks).toBe(2);
  });

  it('ends the call when ARI says a channel is gone', async () => {
    const p = manualProbe();
    const ended: Array<{ cause: SilenceEndCause; liveness?: ChannelLiveness }> = [];
    const w = new SilenceWatchdog({
      rule: { kind: 'ari', checkAfterMs: 5000 },
      probe: p.probe,
      onEnd: (cause, _ms, liveness) => ended.push({ cause, ...(liveness ? { liveness } : {}) }),
    });
    w.tick(5000);
    p.pending.shift()!({ kind: 'gone', channel: 'caller' });
    await flush();
    expect(ended).toEqual([{ cause: 'channel_gone', liveness: { kind: 'gone', channel: 'caller' } }]);
    w.tick(20_000);
    expect(ended).toHaveLength(1);
  });

  it('re-arms from the start when frames resume', async () => {
    const p = manualProbe();
    const w = new SilenceWatchdog({ rule: { kind: 'ari', checkAfterMs: 5000 }, probe: p.probe, onEnd: () => {} });
    w.tick(5000);
    p.pending.shift()!({ kind: 'up' });
    await flush();
    // A frame arrived (silence back to 0), then a new silence of 5 s is checked again.
    w.tick(0);
    w.tick(4980);
    expect(p.pending).toHaveLength(0);
    w.tick(5000);
    expect(p.pending).toHaveLength(1);
  });

  it('ignores a check answered after close', async () => {
    const p = manualProbe();
    const ended: SilenceEndCause[] = [];
    const w = new SilenceWatchdog({
      rule: { kind: 'ari', checkAfterMs: 1000 },
      probe: p.probe,
      onEnd: (c) => ended.push(c),
    });
    w.tick(1000);
    await w.close();
    p.pending.shift()!({ kind: 'gone', channel: 'media' });
    await flush();
    expect(ended).toEqual([]);
  });

  it('limit rule ends after the limit, once', () => {
    const ended: SilenceEndCause[] = [];
    const w = new SilenceWatchdog({ rule: { kind: 'limit', limitMs: 2000 }, onEnd: (c) => ended.push(c) });
    w.tick(1980);
    expect(ended).toEqual([]);
    w.tick(2000);
    w.tick(2020);
    expect(ended).toEqual(['silence_limit']);
  });

  it('close() is async and idempotent: a limit reached after it ends nothing', async () => {
    const ended: SilenceEndCause[] = [];
    const w = new SilenceWatchdog({ rule: { kind: 'limit', limitMs: 2000 }, onEnd: (c) => ended.push(c) });
    const first = w.close();
    expect(first).toBeInstanceOf(Promise);
    await Promise.all([first, w.close()]);
    w.tick(5000);
    expect(ended).toEqual([]);
  });
});
