import { describe, expect, it } from 'vitest';
import { inviteAllowed } from '../../../src/calls/agent-invites.js';
import { parseApiTokens } from '../../../src/config/api-tokens.js';
import { compileDialable } from '../../../src/config/dialable.js';
import { routeSchema } from '../../../src/config/routes.js';

describe('dialable patterns', () => {
  it('match the whole endpoint; * stands for any run of characters; the rest is literal', () => {
    const m = compileDialable(['PJSIP/+4930*@trunk', 'PJSIP/alice']);
    expect(m('PJSIP/+4930123456@trunk')).toBe(true);
    expect(m('PJSIP/+4930@trunk')).toBe(true);
    expect(m('PJSIP/alice')).toBe(true);
    expect(m('PJSIP/alice2')).toBe(false);
    expect(m('PJSIP/+4940123@trunk')).toBe(false);
    expect(m('PJSIP/+4930123@other')).toBe(false);
    expect(m('pjsip/alice')).toBe(false);
    // Regular-expression characters in a pattern are literal.
    expect(compileDialable(['PJSIP/a.b'])('PJSIP/axb')).toBe(false);
    expect(compileDialable(['PJSIP/+1'])('PJSIP/1')).toBe(false);
    expect(compileDialable([])('PJSIP/alice')).toBe(false);
    expect(compileDialable(['*'])('Local/1@ctx')).toBe(true);
  });

  it('need at least one list, and every list present must match (no list: no invites)', () => {
    expect(inviteAllowed('PJSIP/alice', { token: undefined, route: undefined })).toMatchObject({ ok: false });
    expect(inviteAllowed('PJSIP/alice', { token: ['PJSIP/*'], route: undefined })).toEqual({ ok: true });
    expect(inviteAllowed('PJSIP/alice', { token: undefined, route: ['PJSIP/alice'] })).toEqual({ ok: true });
    expect(inviteAllowed('PJSIP/alice', { token: ['PJSIP/*'], route: ['PJSIP/bob'] })).toMatchObject({
      ok: false,
      why: expect.stringContaining("route's dialable list"),
    });
    expect(inviteAllowed('PJSIP/alice', { token: [], route: ['PJSIP/*'] })).toMatchObject({
      ok: false,
      why: expect.stringContaining("token's dialable list"),
    });
  });

  it('are configured per API token (JSON form) and per route, and bad patterns are refused', () => {
    const ok = parseApiTokens(
      JSON.stringify([{ name: 'bot', scope: 'control', token: 'x'.repeat(20), dialable: ['PJSIP/*'] }]),
    );
    expect(ok.issues).toEqual([]);
    expect(ok.tokens[0]?.dialable).toEqual(['PJSIP/*']);
    const bad = parseApiTokens(
      JSON.stringify([{ name: 'bot', scope: 'control', token: 'x'.repeat(20), dialable: ['PJSIP/a&PJSIP/b'] }]),
    );
    expect(bad.issues[0]?.variable).toBe('API_TOKENS[0].dialable.0');
    const route = routeSchema.parse({ name: 'r', agent: { kind: 'echo' }, dialable: ['PJSIP/+49*@trunk'] });
    expect(route.dialable).toEqual(['PJSIP/+49*@trunk']);
    expect(routeSchema.safeParse({ name: 'r', agent: { kind: 'echo' }, dialable: ['a b'] }).success).toBe(false);
    expect(routeSchema.parse({ name: 'r', agent: { kind: 'echo' } }).dialable).toBeUndefined();
  });
});
