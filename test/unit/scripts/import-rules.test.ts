import { describe, expect, it } from 'vitest';
import { fileSizeViolation, importViolation, isCallsEntryPoint } from '../../../scripts/import-rules.js';

describe('import rules', () => {
  it('lets app.ts import calls/ only through an index.ts', () => {
    expect(importViolation('app.ts', 'calls/index.ts', './calls/index.js')).toBeUndefined();
    expect(importViolation('app.ts', 'calls/vad/index.ts', './calls/vad/index.js')).toBeUndefined();
    expect(importViolation('app.ts', 'calls/audiosocket-leg.ts', './calls/audiosocket-leg.js')).toBe(
      'src/app.ts: imports a module internal of calls/ (./calls/audiosocket-leg.js); import it through an index.ts of calls/',
    );
    expect(importViolation('app.ts', 'calls/vad/vad-engine.ts', './calls/vad/vad-engine.js')).toMatch(
      /module internal of calls\//,
    );
  });

  it('keeps the other layers of app.ts and the imports of other top-level files free', () => {
    expect(importViolation('app.ts', 'db/calls-repository.ts', './db/calls-repository.js')).toBeUndefined();
    expect(importViolation('other.ts', 'calls/audiosocket-leg.ts', './calls/audiosocket-leg.js')).toBeUndefined();
    expect(
      importViolation('cli/serve-command.ts', 'calls/call-session.ts', '../calls/call-session.js'),
    ).toBeUndefined();
  });

  it('still refuses upward imports between layers', () => {
    expect(importViolation('calls/call-session.ts', 'db/schema.ts', '../db/schema.js')).toBe(
      'src/calls/call-session.ts: layer calls/ may not import db/ (../db/schema.js)',
    );
    expect(importViolation('calls/a.ts', 'calls/vad/b.ts', './vad/b.js')).toBeUndefined();
  });

  it('counts only index.ts files of calls/ as its entry points', () => {
    expect(isCallsEntryPoint('calls/index.ts')).toBe(true);
    expect(isCallsEntryPoint('calls/agents/index.ts')).toBe(true);
    expect(isCallsEntryPoint('calls/indexer.ts')).toBe(false);
    expect(isCallsEntryPoint('db/index.ts')).toBe(false);
  });

  it('lets a file past 400 lines through only with a reason on its first line', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `const x${i} = ${i};`).join('\n');
    expect(fileSizeViolation('a.ts', `${body(400)}\n`)).toBeUndefined();
    expect(fileSizeViolation('calls/a.ts', `${body(401)}\n`)).toBe(
      'src/calls/a.ts: 401 lines; split it, or start it with "// Over 400 lines: <why>"',
    );
    expect(fileSizeViolation('a.ts', `// Over 400 lines: one state machine.\n${body(420)}`)).toBeUndefined();
    expect(fileSizeViolation('a.ts', `// Over 400 lines\n${body(420)}`)).toMatch(/421 lines/);
  });
});
