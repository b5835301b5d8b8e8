/** Reads the recorded Asterisk 22.10 ARI fixtures copied under test/fixtures/asterisk-22.10/. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FIXTURE_ROOT = resolve(import.meta.dirname, '..', '..', 'fixtures', 'asterisk-22.10');

/** One line of `<scenario>.ari-events.jsonl`. */
export interface RecordedEvent {
  t_ms: number;
  conn: number;
  event: Record<string, unknown> & { type: string };
}

/** One line of `<scenario>.ari-rest.jsonl`. */
export interface RecordedRest {
  t_ms_request: number;
  t_ms_response: number;
  label: string;
  method: string;
  path: string;
  request_headers: Record<string, string>;
  request_body: unknown;
  status: number;
  status_text: string;
  response_headers: Record<string, string>;
  response_body: unknown;
}

export function scenarios(): string[] {
  return readdirSync(FIXTURE_ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as T);
}

export function recordedEvents(scenario: string): RecordedEvent[] {
  return readJsonl<RecordedEvent>(join(FIXTURE_ROOT, scenario, `${scenario}.ari-events.jsonl`));
}

export function recordedRest(scenario: string): RecordedRest[] {
  return readJsonl<RecordedRest>(join(FIXTURE_ROOT, scenario, `${scenario}.ari-rest.jsonl`));
}
