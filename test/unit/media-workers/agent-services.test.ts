import { describe, expect, it } from 'vitest';
import type { ToolInvoker } from '../../../src/calls/agents/realtime-tool-invoker.js';
import { MemoryTranscriptSink } from '../../../src/calls/agents/realtime-transcripts.js';
import { ChannelAgentServices } from '../../../src/calls/media-workers/index.js';
import { RemoteCallMedia } from '../../../src/calls/media-workers/remote-call-media.js';
import type { FromWorker, ToWorker } from '../../../src/protocols/media-worker/messages.js';

const turn = { role: 'agent', text: 'hi', itemId: 'i1', startedAtMs: 0, endedAtMs: 10, truncated: false } as const;

describe('agent services across the media worker channel', () => {
  it('worker side: a tool call is a tool.invoke answered by tool.result; an abort gives up on it', async () => {
    const sent: FromWorker[] = [];
    const services = new ChannelAgentServices((m) => sent.push(m));
    const run = services.invoke('c1', 't1', 'get_weather', { city: 'Oslo' }, new AbortController().signal);
    expect(sent).toEqual([
      {
        type: 'tool.invoke',
        callId: 'c1',
        requestId: 1,
        toolCallId: 't1',
        name: 'get_weather',
        arguments: { city: 'Oslo' },
      },
    ]);
    // A result for another call with the same request id is not this one's.
    services.receive({ type: 'tool.result', callId: 'c2', requestId: 1, result: { status: 'succeeded', output: 0 } });
    services.receive({ type: 'tool.result', callId: 'c1', requestId: 1, result: { status: 'succeeded', output: 21 } });
    await expect(run).resolves.toEqual({ status: 'succeeded', output: 21 });

    const abort = new AbortController();
    const abandoned = services.invoke('c1', 't2', 'slow', {}, abort.signal);
    abort.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'TOOL_ABORTED' });
    // A late result for it is ignored.
    services.receive({ type: 'tool.result', callId: 'c1', requestId: 2, result: { status: 'succeeded', output: 1 } });

    services.add('c1', turn);
    expect(sent.at(-1)).toEqual({ type: 'transcript.turn', callId: 'c1', turn });
  });

  it('primary side: runs the tool through the job layer invoker, answers tool.result, records turns', async () => {
    const sent: ToWorker[] = [];
    const transcripts = new MemoryTranscriptSink();
    const seen: AbortSignal[] = [];
    const tools: ToolInvoker = {
      invoke: async (callId, toolCallId, name, args, signal) => {
        seen.push(signal);
        if (name === 'boom') throw new Error('queue down');
        return { status: 'succeeded', output: { callId, toolCallId, args } };
      },
    };
    const remote = new RemoteCallMedia(0, 'c1', (m) => sent.push(m) > 0, { tools, transcripts });
    remote.receive({ type: 'tool.invoke', callId: 'c1', requestId: 7, toolCallId: 't1', name: 'f', arguments: 1 });
    remote.receive({ type: 'tool.invoke', callId: 'c1', requestId: 8, toolCallId: 't2', name: 'boom', arguments: 1 });
    remote.receive({ type: 'transcript.turn', callId: 'c1', turn });
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([
      {
        type: 'tool.result',
        callId: 'c1',
        requestId: 7,
        result: { status: 'succeeded', output: { callId: 'c1', toolCallId: 't1', args: 1 } },
      },
      {
        type: 'tool.result',
        callId: 'c1',
        requestId: 8,
        result: { status: 'failed', error: { code: 'TOOL_FAILED', message: 'queue down' } },
      },
    ]);
    expect(transcripts.forCall('c1')).toEqual([{ callId: 'c1', ...turn }]);
    // The call's media ending abandons its tool calls still running.
    void remote.close('caller_hangup', 'caller', false);
    expect(seen.every((s) => s.aborted)).toBe(true);
  });
});
