import { describe, expect, it } from 'vitest';
import { AppMetrics } from '../../../src/observability/metrics.js';

describe('AppMetrics: tool calls and webhook failures', () => {
  it('counts tool-call round trips by outcome and failed webhook attempts', async () => {
    const metrics = new AppMetrics({
      activeCalls: () => 0,
      media: () => ({ framesIn: 0, framesOut: 0, bargeIns: 0, underruns: 0, overflowBytes: 0 }),
      clock: () => ({ ticks: 0, late: 0, missed: 0 }),
    } as unknown as ConstructorParameters<typeof AppMetrics>[0]);
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
});
