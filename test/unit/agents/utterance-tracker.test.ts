import { describe, expect, it } from 'vitest';
import { AgentUtteranceTracker } from '../../../src/protocols/agent/utterance-tracker.js';

describe('AgentUtteranceTracker', () => {
  it('assigns bracketed frames to their playId and marks the first one', () => {
    const t = new AgentUtteranceTracker();
    expect(t.start('u-1', true)).toEqual({ implicitlyEnded: undefined });
    expect(t.frame()).toEqual({ action: 'play', playId: 'u-1', opened: true, automatic: false, protected: true });
    expect(t.frame()).toEqual({ action: 'play', playId: 'u-1', opened: false, automatic: false, protected: true });
    expect(t.end('u-1')).toEqual({ ok: true, interrupted: false });
    expect(t.current).toBeUndefined();
  });

  it('opens numbered automatic utterances for unbracketed frames, ended by drain or audio.start', () => {
    const t = new AgentUtteranceTracker();
    expect(t.frame()).toMatchObject({ playId: 'auto-1', opened: true, automatic: true, protected: false });
    expect(t.frame()).toMatchObject({ playId: 'auto-1', opened: false });
    expect(t.drained()).toBe('auto-1');
    expect(t.frame()).toMatchObject({ playId: 'auto-2', opened: true });
    expect(t.start('u-9')).toEqual({ implicitlyEnded: 'auto-2' });
    expect(t.drained()).toBeUndefined(); // a bracketed utterance does not end on drain
    expect(t.frame()).toMatchObject({ playId: 'u-9' });
  });

  it('discards frames of an interrupted bracketed utterance until its audio.end', () => {
    const t = new AgentUtteranceTracker();
    t.start('u-1');
    t.frame();
    t.interrupted('u-1');
    expect(t.frame()).toEqual({ action: 'discard', playId: 'u-1' });
    expect(t.end('u-1')).toEqual({ ok: true, interrupted: true });
    expect(t.frame()).toMatchObject({ action: 'play', playId: 'auto-1' });
  });

  it('ends an interrupted automatic utterance; later frames open a new one', () => {
    const t = new AgentUtteranceTracker({ automaticPrefix: 'a' });
    t.frame();
    t.interrupted('a1');
    expect(t.frame()).toMatchObject({ action: 'play', playId: 'a2', opened: true });
  });

  it('reports an audio.end that does not match the open utterance, and ignores stale interruptions', () => {
    const t = new AgentUtteranceTracker();
    expect(t.end('x')).toEqual({ ok: false, open: undefined });
    t.start('u-2');
    t.interrupted('u-1');
    expect(t.frame()).toMatchObject({ action: 'play', playId: 'u-2' });
    expect(t.end('u-1')).toEqual({ ok: false, open: 'u-2' });
    expect(t.start('u-3')).toEqual({ implicitlyEnded: 'u-2' });
  });
});
