import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const AVA = fileURLToPath(new URL('../../bin/ava.js', import.meta.url));

describe('ava demo', () => {
  let out = '';
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('prints readable events in order, no raw log line, and writes call.wav and summary.json', async () => {
    out = await mkdtemp(join(tmpdir(), 'ava-demo-'));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [AVA, 'demo', '--out', out],
        { env: { PATH: process.env.PATH ?? '' }, timeout: 90_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const requested = lines.findIndex((l) => l.includes('service   media.requested'));
    const connected = lines.findIndex((l) => l.includes('service   media.connected'));
    expect(requested).toBeGreaterThan(0);
    expect(connected).toBeGreaterThan(requested);
    // The events come first, then the summary; no JSON log line before it.
    const summaryStart = lines.indexOf('{');
    expect(lines.slice(0, summaryStart).every((l) => !l.startsWith('{'))).toBe(true);
    const printed = JSON.parse(lines.slice(summaryStart).join('\n'));
    const written = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(written).toEqual(printed);
    expect(written).toMatchObject({ result: 'ok', summary: join(out, 'summary.json') });
    expect(written.agentEvents).toContain('trackEnd');
    // MEDIA_WORKERS is left to its default (at least one worker): the call's media ran on the first one.
    expect(written.mediaWorker).toBe(0);
    expect((await stat(join(out, 'call.wav'))).size).toBeGreaterThan(44);
  }, 120_000);

  it('--sip: the call goes to the simulated Realtime SIP service, accepted by webhook, with transcripts', async () => {
    const sipOut = await mkdtemp(join(tmpdir(), 'ava-demo-sip-'));
    try {
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [AVA, 'demo', '--sip', '--out', sipOut],
          { env: { PATH: process.env.PATH ?? '' }, timeout: 90_000 },
          (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const written = JSON.parse(await readFile(join(sipOut, 'summary.json'), 'utf8'));
      expect(written).toMatchObject({
        result: 'ok',
        webhookDeliveries: [200],
        callsApi: ['accept 200', 'hangup 200'],
        leftAfterCall: { channels: 0, bridges: 0, calls: 0 },
      });
      expect(written.transcript).toContain('caller: I would like to book a table for two tonight.');
    } finally {
      await rm(sipOut, { recursive: true, force: true });
    }
  }, 120_000);
});
