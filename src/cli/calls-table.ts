import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from './api-client.js';
import { DEFAULT_API_URL } from './call-command.js';

/** The fields of a listed call the table shows (GET /v1/calls items). */
interface ListedCall {
  id: string;
  state: string;
  direction: string;
  route: string | null;
  mediaWorker?: number | 'primary' | null;
  createdAt: string;
  closeReason: string | null;
}

const COLUMNS: Array<[string, (c: ListedCall) => string]> = [
  ['ID', (c) => c.id],
  ['STATE', (c) => c.state],
  ['DIRECTION', (c) => c.direction],
  ['ROUTE', (c) => c.route ?? '-'],
  // The media worker holding (or that held) the call's media: its slot, `primary`, or `-` (no media yet).
  ['WORKER', (c) => (c.mediaWorker === null || c.mediaWorker === undefined ? '-' : String(c.mediaWorker))],
  ['CREATED', (c) => c.createdAt],
  ['CLOSE REASON', (c) => c.closeReason ?? '-'],
];

/** Calls as a text table, one line each, columns aligned (the last one unpadded). */
export function formatCallsTable(calls: readonly ListedCall[]): string {
  const rows = [COLUMNS.map(([title]) => title), ...calls.map((c) => COLUMNS.map(([, cell]) => cell(c)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

function limitArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('expected 1-500');
  return n;
}

/**
 * `ava calls`: the newest calls as a table (GET /v1/calls), with the media worker each one's media is or was on;
 * `--json` prints the API's answer instead.
 */
export function buildCallsCommand(write: (text: string) => void, print: (value: unknown) => void): Command {
  return new Command('calls')
    .description('list the newest calls as a table, with the media worker of each (GET /v1/calls)')
    .addOption(new Option('--url <url>', 'adapter REST API base URL').env('AVA_URL').default(DEFAULT_API_URL))
    .addOption(new Option('--token <token>', 'API bearer token').env('AVA_TOKEN'))
    .option('--state <state>', 'only calls in this state')
    .option('--limit <n>', 'how many (1-500)', limitArg, 20)
    .option('--json', 'print the JSON answer instead of a table')
    .showHelpAfterError()
    .exitOverride()
    .action(async (o: { url: string; token?: string; state?: string; limit: number; json?: boolean }) => {
      const q = new URLSearchParams({ limit: String(o.limit), ...(o.state ? { state: o.state } : {}) });
      const api = new ApiClient({ url: o.url, token: o.token });
      const page = (await api.request('GET', `v1/calls?${q}`)) as { items: ListedCall[]; nextCursor: string | null };
      if (o.json) return print(page);
      write(`${formatCallsTable(page.items)}\n`);
    });
}
