import { describe, expect, it } from 'vitest';
import { parseAgentMessage } from '../../../src/protocols/agent/index.js';

function parse(body: Record<string, unknown>) {
  return parseAgentMessage(JSON.stringify({ command: 'invite', ...body }));
}

describe('native protocol: invite', () => {
  it('is a honoured command (no longer unsupported) with its fields typed', () => {
    const r = parse({
      callee: 'PJSIP/+4930123@trunk',
      callerId: '"Support" <1000>',
      timeout: 20,
      route: 'sales',
      customParameters: { ticket: 'T-1' },
      audio: { sampleRate: 24000, frameMs: 60 },
    });
    expect(r).toEqual({
      ok: true,
      command: {
        command: 'invite',
        callee: 'PJSIP/+4930123@trunk',
        callerId: '"Support" <1000>',
        timeout: 20,
        route: 'sales',
        customParameters: { ticket: 'T-1' },
        audio: { sampleRate: 24000, frameMs: 60 },
      },
    });
  });

  it.each([
    [{}, 'callee'],
    [{ callee: 'alice' }, 'callee'],
    [{ callee: 'PJSIP/a&PJSIP/b' }, 'callee'],
    [{ callee: 'PJSIP/a,b' }, 'callee'],
    [{ callee: 'PJSIP/a b' }, 'callee'],
    [{ callee: 'PJSIP/a(b)' }, 'callee'],
    [{ callee: `PJSIP/${'$'}{EVIL}` }, 'callee'],
    [{ callee: 42 }, 'callee'],
    [{ callee: 'PJSIP/a', timeout: 0 }, 'timeout'],
    [{ callee: 'PJSIP/a', timeout: 601 }, 'timeout'],
    [{ callee: 'PJSIP/a', timeout: 1.5 }, 'timeout'],
    [{ callee: 'PJSIP/a', callerId: 'a\nb' }, 'callerId'],
    [{ callee: 'PJSIP/a', route: 'no spaces' }, 'route'],
    [{ callee: 'PJSIP/a', customParameters: { 'a b': 'x' } }, 'customParameters'],
    [{ callee: 'PJSIP/a', customParameters: { a: 1 } }, 'customParameters'],
    [{ callee: 'PJSIP/a', audio: { sampleRate: 44100 } }, 'audio.sampleRate'],
    [{ callee: 'PJSIP/a', audio: { frameMs: 30 } }, 'audio.frameMs'],
    [{ callee: 'PJSIP/a', audio: { bogus: 1 } }, 'audio'],
  ])('refuses %j naming the field %s', (body, field) => {
    const r = parse(body);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid_command');
    expect(r.error.command).toBe('invite');
    expect(r.error.message).toContain(`invite: ${field}`);
  });

  it('refuses more than 32 custom parameters', () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    const r = parse({ callee: 'PJSIP/a', customParameters: many });
    expect(r.ok).toBe(false);
  });
});
