import { describe, expect, it } from 'vitest';
import { siblingModuleUrl, startModuleWorker } from '../../../src/calls/vad/worker-launcher.js';

describe('worker launcher', () => {
  it('finds a sibling module with the caller’s own extension', () => {
    expect(siblingModuleUrl('file:///app/src/calls/vad/vad-engine.ts', 'vad-worker').href).toBe(
      'file:///app/src/calls/vad/vad-worker.ts',
    );
    expect(siblingModuleUrl('file:///app/dist/calls/vad/vad-engine.js', 'vad-worker').href).toBe(
      'file:///app/dist/calls/vad/vad-worker.js',
    );
  });

  it('refuses an entry that is not a file: URL', () => {
    expect(() => startModuleWorker(new URL('https://example.invalid/worker.js'))).toThrow(TypeError);
  });

  it('starts a TypeScript entry and runs it to the end', async () => {
    const worker = startModuleWorker(new URL('./fixtures/echo-worker.ts', import.meta.url), { workerData: 21 });
    try {
      const answer = await new Promise<unknown>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(answer).toEqual({ doubled: 42, ranAs: 'typescript' });
    } finally {
      await worker.terminate();
    }
  });
});
