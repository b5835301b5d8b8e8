import { describe, expect, it } from 'vitest';
import { PipecatTranscripts } from '../../../src/calls/agents/pipecat-transcripts.js';
import { MemoryTranscriptSink } from '../../../src/calls/agents/realtime-transcripts.js';

function setup() {
  const sink = new MemoryTranscriptSink();
  return { sink, t: new PipecatTranscripts(sink, 'call-1', new Date()) };
}

describe('Pipecat transcripts', () => {
  it('joins the bot text of one answer into one turn, stored once its audio has played', () => {
    const { sink, t } = setup();
    t.agent('Hello.', 'bot-output');
    t.agent('How can I help?', 'bot-output');
    expect(sink.turns).toEqual([]);
    t.played();
    t.played();
    expect(sink.turns).toHaveLength(1);
    expect(sink.turns[0]).toMatchObject({
      callId: 'call-1',
      role: 'agent',
      text: 'Hello. How can I help?',
      truncated: false,
      itemId: 'pipecat-agent-1',
    });
  });

  it('stores an interrupted answer as truncated with what was heard, and unplayed words at the end as truncated', () => {
    const { sink, t } = setup();
    t.agent('A long list of specials.', 'text-frame');
    t.interrupted(1040, 2400);
    t.agent('Of course.', 'text-frame');
    t.ended();
    expect(sink.turns.map((x) => [x.text, x.truncated, x.playedMs, x.totalMs])).toEqual([
      ['A long list of specials.', true, 1040, 2400],
      ['Of course.', true, undefined, undefined],
    ]);
  });

  it('per role, keeps to the first source seen, so words a bot sends twice are stored once', () => {
    const { sink, t } = setup();
    t.caller('A table for two.', 'transcription-frame');
    t.caller('A table for two.', 'user-transcription');
    t.agent('Sure.', 'bot-output');
    t.agent('Sure.', 'bot-transcription');
    t.agent('Sure.', 'text-frame');
    t.played();
    expect(sink.turns.map((x) => [x.role, x.text])).toEqual([
      ['caller', 'A table for two.'],
      ['agent', 'Sure.'],
    ]);
  });

  it('with RTVI speaking signals, playout running empty mid-answer does not end the turn', () => {
    const { sink, t } = setup();
    t.botSpeaking(true);
    t.agent('First sentence.', 'bot-output');
    t.audio();
    t.played(); // the bot fell behind real time for a moment
    t.agent('Second sentence.', 'bot-output');
    t.audio();
    t.botSpeaking(false);
    expect(sink.turns).toEqual([]);
    t.played();
    expect(sink.turns.map((x) => [x.text, x.truncated])).toEqual([['First sentence. Second sentence.', false]]);
    // A stop that comes once everything was played ends the turn at once.
    t.botSpeaking(true);
    t.agent('Bye.', 'bot-output');
    t.audio();
    t.played();
    t.botSpeaking(false);
    expect(sink.turns.map((x) => x.text)).toEqual(['First sentence. Second sentence.', 'Bye.']);
  });
});
