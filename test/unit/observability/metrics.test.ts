import { describe, expect, it } from 'vitest';
import { AppMetrics } from '../../../src/observability/metrics.js';

/** Metrics of an app with no calls. */
function idleMetrics(): AppMetrics {
  return new AppMetrics({
    activeCalls: () => 0,
    media: () => ({ framesIn: 0, framesOut: 0, bargeIns: 0, playoutUnderruns: 0, playoutOverflowBytes: 0 }),
    clock: () => ({ ticks: 0, late: 0, missed: 0 }),
  });
}

describe('AppMetrics: tool calls and webhook failures', () => {
  it('counts tool-call round trips by outcome and failed webhook attempts', async () => {
    const metrics = idleMetrics();
    metrics.toolCallFinished(0.012, 'succeeded');
    metrics.toolCallFinished(0.3, 'failed');
    metrics.webhookAttemptFailed(false);
    metrics.webhookAttemptFailed(true);
    const { body } = await metrics.render();
    expect(body).toMatch(/ava_tool_call_seconds_count\{outcome="succeeded"\} 1/);
    expect(body).toMatch(/ava_tool_call_seconds_count\{outcome="failed"\} 1/);
    expect(body).toMatch(/ava_webhook_delivery_failures_total\{final="false"\} 1/);
    expect(body).toMatch(/ava_webhook_delivery_failures_total\{final="true"\} 1/);
  });

  it('counts the orphaned calls this instance closed', async () => {
    const metrics = idleMetrics();
    expect((await metrics.render()).body).toMatch(/ava_orphaned_calls_closed_total 0/);
    metrics.orphanedCallClosed();
    metrics.orphanedCallClosed();
    expect((await metrics.render()).body).toMatch(/ava_orphaned_calls_closed_total 2/);
  });

  it('records where the time of each tool run went, by phase', async () => {
    const metrics = idleMetrics();
    metrics.toolRun({ queuedMs: 2, claimMs: 1, toolMs: 10, handOverMs: 3, finishMs: 8 });
    metrics.toolRun({ queuedMs: 4, claimMs: 3, toolMs: 30, handOverMs: undefined, finishMs: 6 });
    const { body } = await metrics.render();
    expect(body).toMatch(/ava_tool_call_phase_seconds_count\{phase="tool"\} 2/);
    expect(body).toMatch(/ava_tool_call_phase_seconds_bucket\{le="0.016",phase="tool"\} 1/);
    const means = await metrics.toolPhaseMeans();
    expect(means.queued).toEqual({ count: 2, meanMs: expect.closeTo(3, 9) });
    expect(means.claim?.meanMs).toBeCloseTo(2, 9);
    expect(means.tool?.meanMs).toBeCloseTo(20, 9);
    // A result that went nowhere has no hand-over.
    expect(means.hand_over).toEqual({ count: 1, meanMs: expect.closeTo(3, 9) });
    expect(means.finish?.meanMs).toBeCloseTo(7, 9);
  });
});
