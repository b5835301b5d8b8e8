import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VadEngine } from '../../../src/calls/vad/vad-engine.js';
import { allowedCpus, currentThreadId, formatCpuList } from '../../../src/calls/vad/vad-worker-placement.js';

/** The inference thread's placement, read back from /proc as the kernel applies it (Linux with util-linux). */

function threadStat(tid: number) {
  const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    cpus: /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1],
    // stat fields 19 (nice) and 41 (policy), counted from 1; `fields` starts at field 3.
    nice: Number(fields[16]),
    policy: Number(fields[38]),
  };
}

const SCHED_IDLE = 5;

describe('VAD worker placement', () => {
  it('pins the inference thread to the CPU asked for at SCHED_IDLE, and moves the event loop off it', async () => {
    const loopTid = currentThreadId()!;
    const before = allowedCpus(loopTid)!;
    expect(before.length).toBeGreaterThanOrEqual(2);
    const last = before[before.length - 1]!;
    const engine = await VadEngine.start({ placement: { cpus: String(last), priority: 'idle' } });
    try {
      const { worker, loopCpus, notes } = engine.placement;
      expect(notes).toEqual([]);
      expect(worker).toMatchObject({ cpus: String(last), priority: 'idle' });
      // Every thread of the worker (onnxruntime's too) is there: the kernel's own view of it.
      expect(threadStat(worker!.tid!)).toMatchObject({ cpus: String(last), policy: SCHED_IDLE });
      expect(loopCpus).toBe(formatCpuList(before.filter((c) => c !== last)));
      expect(allowedCpus(loopTid)).not.toContain(last);
      // And it still scores windows.
      const stream = engine.createStream({ sampleRate: 8000 });
      const scored = new Promise((resolve) => stream.once('probability', resolve));
      stream.push(new Int16Array(256));
      await scored;
      await stream.close();
    } finally {
      await engine.close();
      spawnSync('taskset', ['-p', '-c', formatCpuList(before), String(loopTid)]);
    }
  });

  it('auto gives the worker the last CPU; a nice value is applied as asked', async () => {
    const loopTid = currentThreadId()!;
    const before = allowedCpus(loopTid)!;
    const engine = await VadEngine.start({ placement: { cpus: 'auto', priority: 7 } });
    try {
      const { worker } = engine.placement;
      expect(threadStat(worker!.tid!)).toMatchObject({
        cpus: String(before[before.length - 1]),
        nice: 7,
        policy: 0,
      });
    } finally {
      await engine.close();
      spawnSync('taskset', ['-p', '-c', formatCpuList(before), String(loopTid)]);
    }
  });

  it('a CPU that does not exist: the worker runs unpinned and the reason is reported', async () => {
    const loopTid = currentThreadId()!;
    const before = allowedCpus(loopTid)!;
    const engine = await VadEngine.start({ placement: { cpus: '4000', priority: 'normal' } });
    try {
      expect(engine.placement.notes.join('\n')).toMatch(/VAD worker not pinned: taskset .* failed/);
      expect(engine.placement.worker?.cpus).toBe(formatCpuList(before));
      expect(allowedCpus(loopTid)).toEqual(before);
    } finally {
      await engine.close();
    }
  });

  it('refuses a malformed setting with VAD_INVALID_OPTIONS', async () => {
    await expect(VadEngine.start({ placement: { cpus: '1-', priority: 'idle' } })).rejects.toMatchObject({
      code: 'VAD_INVALID_OPTIONS',
    });
    await expect(VadEngine.start({ placement: { cpus: 'off', priority: 25 } })).rejects.toMatchObject({
      code: 'VAD_INVALID_OPTIONS',
    });
  });
});
