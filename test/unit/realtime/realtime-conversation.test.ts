import { describe, expect, it } from 'vitest';
import { ConversationLog, heardPortion } from '../../../src/calls/agents/realtime-conversation.js';

describe('Realtime conversation log', () => {
  it('replays turns with text in the order their items appeared, function calls as function items', () => {
    const log = new ConversationLog(50);
    log.assistantItem('a1');
    log.userItem('u1');
    log.assistantText('a1', 'Hello there, how can I help?', 'Hello there, how can I help?');
    log.functionCall('c1', 'lookup', '{"q":1}');
    log.userItem('u2'); // never transcribed: left out
    log.userText('u1', 'I need a table.');
    log.functionOutput('c1', '{"ok":true}');
    log.systemText('Be extra polite.');
    log.assistantItem('a2');
    log.assistantText('a2', 'Sure thing, for how many people tonight?', 'Sure thing, for…');
    expect(log.replayItems('ga')).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there, how can I help?' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'I need a table.' }] },
      { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"q":1}' },
      { type: 'function_call_output', call_id: 'c1', output: '{"ok":true}' },
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be extra polite.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sure thing, for…' }] },
    ]);
    expect(log.replayItems('beta')[0]).toEqual({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello there, how can I help?' }],
    });
  });

  it('is bounded, and never replays an output whose call was forgotten', () => {
    const log = new ConversationLog(3);
    log.functionCall('c1', 'f', '{}');
    log.userText('u1', 'one');
    log.userText('u2', 'two');
    log.functionOutput('c1', '{}');
    expect(log.size).toBe(3);
    expect(log.replayItems('ga')).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'two' }] },
    ]);
  });

  it('estimates the heard part of a transcript by the played share of its audio', () => {
    expect(heardPortion('one two three four', 500, 1000)).toBe('one two…');
    expect(heardPortion('one two three four', 1000, 1000)).toBe('one two three four');
    expect(heardPortion('one two three four', 100, 1000)).toBe('');
  });
});
