import { describe, expect, it } from 'vitest';
import { formatCallsTable } from '../../../src/cli/calls-table.js';
import { buildOpenApiDocument } from '../../../src/http/openapi.js';

const call = (id: string, mediaWorker: number | 'primary' | null, more: Record<string, unknown> = {}) => ({
  id,
  state: 'active',
  direction: 'inbound',
  route: 'sales',
  mediaWorker,
  createdAt: '2026-12-06T01:00:00.000Z',
  closeReason: null,
  ...more,
});

describe('ava calls table', () => {
  it('shows the media worker of each call: its slot, primary, or - before media connected', () => {
    const text = formatCallsTable([
      call('a1', 0),
      call('b22', 1, { state: 'ended', closeReason: 'worker_failed' }),
      call('c333', 'primary', { route: null }),
      call('d4', null),
    ]);
    const rows = text.split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['ID', 'STATE', 'DIRECTION', 'ROUTE', 'WORKER', 'CREATED', 'CLOSE REASON']);
    expect(rows.slice(1).map((r) => [r[0], r[4], r[6]])).toEqual([
      ['a1', '0', '-'],
      ['b22', '1', 'worker_failed'],
      ['c333', 'primary', '-'],
      ['d4', '-', '-'],
    ]);
    // Columns line up: WORKER starts at the same offset on every line.
    const lines = text.split('\n');
    const at = lines[0]!.indexOf('WORKER');
    expect(lines.slice(1).map((l) => l.slice(at).split(' ')[0])).toEqual(['0', '1', 'primary', '-']);
  });

  it('the OpenAPI call record documents mediaWorker (slot, "primary" or null)', () => {
    const doc = buildOpenApiDocument('test') as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      paths: Record<string, unknown>;
    };
    const text = JSON.stringify(doc.paths['/v1/calls']);
    expect(text).toContain('"mediaWorker"');
    expect(text).toContain('"primary"');
  });
});
