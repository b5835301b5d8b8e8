import { describe, expect, it } from 'vitest';
import { UplinkChunker } from '../../../src/calls/agents/uplink-chunker.js';
import { agentSchema } from '../../../src/config/routes.js';
import { realtimeAgentSchema } from '../../../src/config/realtime-route.js';

/** 20 ms of 8 kHz PCM16 whose every byte is `n`. */
const frame = (n: number) => Buffer.alloc(320, n);

function chunker(chunkMs: 20 | 40 | 60 | 80 | 100) {
  const sent: Buffer[] = [];
  let now = 0;
  const c = new UplinkChunker(
    chunkMs,
    (b) => sent.push(b),
    () => now,
  );
  return {
    c,
    sent,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('UplinkChunker', () => {
  it('with 20 ms passes every frame through as it comes', () => {
    const { c, sent } = chunker(20);
    const f = frame(1);
    c.push(f);
    expect(sent).toEqual([f]);
    expect(sent[0]).toBe(f);
    expect(c.pendingMs).toBe(0);
  });

  it.each([40, 60, 80, 100] as const)('with %i ms sends whole chunks of that length, in order', (ms) => {
    const { c, sent } = chunker(ms);
    const per = ms / 20;
    for (let i = 0; i < per * 3 + 1; i++) c.push(frame(i));
    expect(sent.map((b) => b.length)).toEqual([per * 320, per * 320, per * 320]);
    expect(Buffer.concat(sent)).toEqual(Buffer.concat(Array.from({ length: per * 3 }, (_, i) => frame(i))));
    expect(c.pendingMs).toBe(20);
  });

  it('flush sends the partial chunk short, once; nothing is lost', () => {
    const { c, sent } = chunker(100);
    for (let i = 0; i < 7; i++) c.push(frame(i));
    c.flush();
    c.flush();
    expect(sent.map((b) => b.length)).toEqual([1600, 640]);
    expect(Buffer.concat(sent)).toEqual(Buffer.concat(Array.from({ length: 7 }, (_, i) => frame(i))));
    expect(c.stats).toMatchObject({ chunks: 2, partialChunks: 1 });
  });

  it('drop discards the partial chunk and says how much audio that was', () => {
    const { c, sent } = chunker(60);
    c.push(frame(1));
    c.push(frame(2));
    expect(c.drop()).toBe(40);
    c.flush();
    expect(sent).toEqual([]);
    for (let i = 0; i < 3; i++) c.push(frame(i));
    expect(sent.map((b) => b.length)).toEqual([960]);
  });

  it('counts how long the first frame of each chunk waited', () => {
    const { c, advance } = chunker(100);
    for (let i = 0; i < 5; i++) {
      c.push(frame(i));
      if (i < 4) advance(20);
    }
    c.push(frame(5));
    advance(20);
    c.flush();
    expect(c.stats).toMatchObject({ chunkMs: 100, chunks: 2, holdMsTotal: 100, holdMsMax: 80 });
  });
});

describe('chunk lengths in route settings', () => {
  it('a Realtime route appends 100 ms by default and takes 20 to 100 ms in steps of 20', () => {
    const base = { kind: 'openai-realtime' as const, url: 'ws://127.0.0.1:9/v1/realtime' };
    expect(realtimeAgentSchema.parse(base).appendMs).toBe(100);
    expect(realtimeAgentSchema.parse({ ...base, appendMs: 40 }).appendMs).toBe(40);
    for (const bad of [0, 10, 30, 120, 60.5]) {
      const r = realtimeAgentSchema.safeParse({ ...base, appendMs: bad });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['appendMs']);
    }
  });

  it('the Twilio dialect cannot be given another frame length: it stays 20 ms (160 bytes of μ-law)', () => {
    for (const field of ['frameMs', 'appendMs', 'chunkMs']) {
      const r = agentSchema.safeParse({ kind: 'twilio', url: 'ws://127.0.0.1:9/twilio', [field]: 100 });
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toContain(field);
    }
    expect(agentSchema.safeParse({ kind: 'twilio', url: 'ws://127.0.0.1:9/twilio' }).success).toBe(true);
  });
});
