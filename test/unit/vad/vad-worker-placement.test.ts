import { describe, expect, it } from 'vitest';
import {
  cpuSettingError,
  parseCpuList,
  parsePrioritySetting,
  planPlacement,
} from '../../../src/calls/vad/vad-worker-placement.js';

describe('VAD worker placement: settings and plan', () => {
  it('parses CPU lists and refuses malformed ones', () => {
    expect(parseCpuList('1')).toEqual([1]);
    expect(parseCpuList('0,2-4')).toEqual([0, 2, 3, 4]);
    for (const bad of ['', '1-', '3-1', 'a', '1,,2', '-1']) expect(parseCpuList(bad)).toBeUndefined();
    expect(cpuSettingError('auto')).toBeUndefined();
    expect(cpuSettingError('off')).toBeUndefined();
    expect(cpuSettingError('2-3')).toBeUndefined();
    expect(cpuSettingError('two')).toMatch(/auto, off or a CPU list/);
  });

  it('parses priorities: idle, normal or nice 0…19', () => {
    expect(parsePrioritySetting('idle')).toBe('idle');
    expect(parsePrioritySetting('normal')).toBe('normal');
    expect(parsePrioritySetting('19')).toBe(19);
    for (const bad of ['20', '-1', 'low', '']) expect(parsePrioritySetting(bad)).toHaveProperty('error');
  });

  it('auto: the last CPU for the worker, the others for the event loop; one CPU: nothing moves, said why', () => {
    expect(planPlacement('auto', [0, 1])).toEqual({ workerCpus: [1], loopCpus: [0], notes: [] });
    expect(planPlacement('auto', [0, 1, 2, 3])).toEqual({ workerCpus: [3], loopCpus: [0, 1, 2], notes: [] });
    const one = planPlacement('auto', [2]);
    expect(one).toMatchObject({ workerCpus: undefined, loopCpus: undefined });
    expect(one.notes[0]).toMatch(/one CPU/);
    expect(planPlacement('auto', undefined).notes[0]).toMatch(/unknown/);
  });

  it('a list pins the worker there and takes it from the event loop, unless that leaves the loop nothing', () => {
    expect(planPlacement('1', [0, 1])).toEqual({ workerCpus: [1], loopCpus: [0], notes: [] });
    expect(planPlacement('3', [0, 1])).toEqual({ workerCpus: [3], loopCpus: undefined, notes: [] });
    const all = planPlacement('0-1', [0, 1]);
    expect(all).toMatchObject({ workerCpus: [0, 1], loopCpus: undefined });
    expect(all.notes[0]).toMatch(/every CPU of the event loop/);
    expect(planPlacement('off', [0, 1])).toEqual({ workerCpus: undefined, loopCpus: undefined, notes: [] });
  });
});
