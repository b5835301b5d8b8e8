import { describe, expect, it } from 'vitest';
import { ConversationLog } from '../../../src/calls/agents/realtime-conversation.js';
import { ResponseQueue } from '../../../src/calls/agents/realtime-responses.js';
import { MemoryTranscriptSink } from '../../../src/calls/agents/realtime-transcripts.js';
import { RealtimeTurns } from '../../../src/calls/agents/realtime-turns.js';

function turns() {
  const sink = new MemoryTranscriptSink();
  const log = new ConversationLog(20);
  return { t: new RealtimeTurns('call-1', sink, log), sink, log };
}

describe('RealtimeTurns', () => {
  it('hands a model turn over once its transcript is done and its playback is over', () => {
    const { t, sink, log } = turns();
    const item = t.modelItem('i1', 'r1', true);
    item.receivedMs = 1200;
    t.playStarted('i1', 100);
    t.transcriptDelta('i1', 'Hello ');
    t.transcriptDone('i1', 'Hello there.');
    expect(sink.turns).toEqual([]);
    t.playEnded('i1', 1300, 1200);
    expect(sink.turns).toEqual([
      {
        callId: 'call-1',
        role: 'agent',
        text: 'Hello there.',
        itemId: 'i1',
        startedAtMs: 100,
        endedAtMs: 1300,
        truncated: false,
        playedMs: 1200,
        totalMs: 1200,
      },
    ]);
    expect(log.replayItems('ga')).toHaveLength(1);
  });

  it('an interrupted turn is truncated with what was played, and only the heard part is replayed', () => {
    const { t, sink, log } = turns();
    const item = t.modelItem('i1', 'r1', true);
    item.receivedMs = 4000;
    t.playStarted('i1', 0);
    t.interrupted('i1', 1000, 1000);
    expect(item.discard).toBe(true);
    t.transcriptDone('i1', 'one two three four five six seven eight');
    expect(sink.turns[0]).toMatchObject({ truncated: true, playedMs: 1000, totalMs: 4000, endedAtMs: 1000 });
    expect(log.replayItems('ga')).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'one two…' }] },
    ]);
  });

  it('a turn stopped while still streaming is truncated even when all that was received had been played', () => {
    const { t, sink } = turns();
    const streaming = t.modelItem('i1', 'r1', true);
    streaming.receivedMs = 800;
    t.transcriptDelta('i1', 'Cut');
    t.interrupted('i1', 900, 800);
    t.responseDone('r1');
    const complete = t.modelItem('i2', 'r2', true);
    complete.receivedMs = 500;
    t.audioDone('i2');
    t.interrupted('i2', 1500, 500);
    t.transcriptDone('i2', 'All of it.');
    expect(sink.turns.map((x) => [x.itemId, x.text, x.truncated])).toEqual([
      ['i1', 'Cut', true],
      ['i2', 'All of it.', false],
    ]);
  });

  it('caller turns carry the server VAD timing; out-of-band items are not replayed', () => {
    const { t, sink, log } = turns();
    t.speechStarted('u1', 2000);
    t.speechStopped('u1', 3500);
    t.callerTranscript('u1', ' I would like a table. ');
    expect(sink.turns[0]).toEqual({
      callId: 'call-1',
      role: 'caller',
      text: 'I would like a table.',
      itemId: 'u1',
      startedAtMs: 2000,
      endedAtMs: 3500,
      truncated: false,
    });
    const filler = t.modelItem('f1', 'r2', false);
    filler.receivedMs = 500;
    t.transcriptDone('f1', 'One moment.');
    t.playEnded('f1', 5000, 500);
    expect(sink.turns).toHaveLength(2);
    expect(log.replayItems('ga')).toHaveLength(1);
  });

  it('the call ending hands over what is pending, cut where playback stopped', () => {
    const { t, sink } = turns();
    const item = t.modelItem('i1', 'r1', true);
    item.receivedMs = 2000;
    t.transcriptDelta('i1', 'Partial answer');
    t.flush(9000, () => 700);
    expect(sink.turns[0]).toMatchObject({ text: 'Partial answer', truncated: true, endedAtMs: 9000, playedMs: 700 });
  });
});

describe('ResponseQueue', () => {
  it('one response at a time: later requests wait and merge, fillers only when idle', () => {
    const sent: Array<Record<string, unknown> | undefined> = [];
    const q = new ResponseQueue((p) => sent.push(p));
    q.request({ instructions: 'greet' }, true);
    expect(q.busy).toBe(true);
    q.request(undefined, true);
    expect(q.requestIfIdle({ conversation: 'none' }, true)).toBe(false);
    q.created('r1', false);
    q.done('r1');
    q.flush(true);
    expect(sent).toEqual([{ instructions: 'greet' }, undefined]);
    q.created('r2', false);
    expect(q.cancelActive()).toBe('r2');
    expect(q.cancelActive()).toBeUndefined();
    expect(q.isCancelled('r2')).toBe(true);
    expect(q.reset()).toBe('r2');
    expect(q.busy).toBe(false);
  });

  it('asks again after the server refused a create because one was active', () => {
    const sent: Array<Record<string, unknown> | undefined> = [];
    const q = new ResponseQueue((p) => sent.push(p));
    q.request({ instructions: 'x' }, true);
    q.refusedAsBusy();
    q.created('server-made', false);
    q.done('server-made');
    q.flush(true);
    expect(sent).toEqual([{ instructions: 'x' }, { instructions: 'x' }]);
  });
});
