import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient } from './api-client.js';

/** Default REST API address of a local `ava serve`. */
export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

interface ConnectionOptions {
  url: string;
  token?: string;
}

interface StartOptions {
  endpoint: string;
  route?: string;
  callerId?: string;
  timeout?: number;
  var: Record<string, string>;
  callId?: string;
  idempotencyKey?: string;
  amd?: string;
  amdMachine?: string;
  amdJson?: Record<string, unknown>;
}

function jsonObjectArg(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError('expected a JSON object');
  return parsed as Record<string, unknown>;
}

/** The originate's `amd` from `--amd`, `--amd-machine` and `--amd-json` (the flags win over the JSON's fields). */
function amdOption(o: StartOptions): Record<string, unknown> | undefined {
  if (o.amd === undefined && o.amdMachine === undefined && o.amdJson === undefined) return undefined;
  return {
    ...o.amdJson,
    ...(o.amd !== undefined ? { mode: o.amd } : {}),
    ...(o.amdMachine !== undefined ? { machine: o.amdMachine } : {}),
  };
}

interface ListOptions {
  state?: string;
  direction?: string;
  route?: string;
  limit?: number;
  cursor?: string;
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function collectVar(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected NAME=VALUE');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function path(id: string, action?: string): string {
  return `v1/calls/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
}

/**
 * `ava call …`: talks to a running adapter's REST API (`--url`/AVA_URL, `--token`/AVA_TOKEN) and prints the JSON
 * answer on stdout. Errors go to stderr with a non-zero exit code (see EXIT in main.ts).
 */
export function buildCallCommand(print: (value: unknown) => void): Command {
  const call = new Command('call')
    .description('originate, inspect and control calls through the REST API')
    .addOption(new Option('--url <url>', 'adapter REST API base URL').env('AVA_URL').default(DEFAULT_API_URL))
    .addOption(new Option('--token <token>', 'API bearer token').env('AVA_TOKEN'))
    .showHelpAfterError()
    .exitOverride();

  const client = (cmd: Command) => {
    const o = cmd.optsWithGlobals<ConnectionOptions>();
    return new ApiClient({ url: o.url, token: o.token });
  };
  const run = <A extends unknown[]>(fn: (api: ApiClient, ...args: A) => Promise<unknown>) =>
    async function (this: Command, ...args: A) {
      print(await fn(client(this), ...args));
    };

  call
    .command('start')
    .description('originate an outbound call (POST /v1/calls)')
    .requiredOption('--endpoint <endpoint>', 'ARI endpoint to dial, e.g. PJSIP/+15551234567@trunk')
    .option('--route <name>', 'route (agent) the answered call enters')
    .option('--caller-id <id>', 'caller ID to present')
    .option('--timeout <sec>', 'ring timeout in seconds', intArg)
    .option('--var <name=value>', 'channel variable (repeatable)', collectVar, {})
    .option('--call-id <id>', 'id to give the call')
    .option('--idempotency-key <key>', 'repeat-safe key: a repeated key returns the first answer')
    .addOption(
      new Option('--amd <mode>', 'answering-machine detection: Asterisk AMD() or the adapter').choices([
        'asterisk',
        'adapter',
      ]),
    )
    .addOption(
      new Option('--amd-machine <action>', 'what a machine gets (default hangup)').choices(['hangup', 'message']),
    )
    .option('--amd-json <json>', 'further amd fields as JSON, e.g. {"greetingMs":2000}', jsonObjectArg)
    .action(
      run(async (api, o: StartOptions) =>
        api.request('POST', 'v1/calls', {
          body: {
            ...(amdOption(o) ? { amd: amdOption(o) } : {}),
            endpoint: o.endpoint,
            ...(o.route ? { route: o.route } : {}),
            ...(o.callerId ? { callerId: o.callerId } : {}),
            ...(o.timeout !== undefined ? { timeoutSec: o.timeout } : {}),
            ...(Object.keys(o.var).length > 0 ? { variables: o.var } : {}),
            ...(o.callId ? { callId: o.callId } : {}),
          },
          ...(o.idempotencyKey ? { headers: { 'idempotency-key': o.idempotencyKey } } : {}),
        }),
      ),
    );

  call
    .command('get <id>')
    .description('a call with its events, transcript, tool calls and recordings (GET /v1/calls/:id)')
    .action(run(async (api, id: string) => api.request('GET', path(id))));

  call
    .command('list')
    .description('list calls, newest first (GET /v1/calls)')
    .option('--state <state>', 'only calls in this state')
    .option('--direction <direction>', 'inbound or outbound')
    .option('--route <name>', 'only calls of this route')
    .option('--limit <n>', 'page size (1-500)', intArg)
    .option('--cursor <cursor>', 'nextCursor of the previous page')
    .action(
      run(async (api, o: ListOptions) => {
        const q = new URLSearchParams();
        for (const key of ['state', 'direction', 'route', 'limit', 'cursor'] as const)
          if (o[key] !== undefined) q.set(key, String(o[key]));
        const qs = q.toString();
        return api.request('GET', `v1/calls${qs ? `?${qs}` : ''}`);
      }),
    );

  call
    .command('hangup <id>')
    .description('hang up a live call')
    .option('--reason <reason>', 'reason recorded with the hangup')
    .action(
      run(async (api, id: string, o: { reason?: string }) =>
        api.request('POST', path(id, 'hangup'), { body: o.reason ? { reason: o.reason } : {} }),
      ),
    );

  call
    .command('transfer <id> <target>')
    .description('transfer the caller to an endpoint (PJSIP/200) or extension')
    .option('--context <context>', 'dialplan context of an extension target')
    .option('--warm', 'warm transfer: dial the person and tell them about the caller first')
    .option('--summary <text>', 'warm: what the person is told, spoken by the agent')
    .option('--prompt <media...>', 'warm: ARI media played to the person (sound:..., recording:...)')
    .option('--reason <text>', 'warm: why the caller is transferred')
    .action(
      run(
        async (
          api,
          id: string,
          target: string,
          o: { context?: string; warm?: boolean; summary?: string; prompt?: string[]; reason?: string },
        ) =>
          api.request('POST', path(id, 'transfer'), {
            body: {
              target,
              ...(o.context ? { context: o.context } : {}),
              ...(o.warm ? { mode: 'warm' } : {}),
              ...(o.summary !== undefined ? { summary: o.summary } : {}),
              ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
              ...(o.reason !== undefined ? { reason: o.reason } : {}),
            },
          }),
      ),
    );

  call
    .command('play <id> <media...>')
    .description('play ARI media to the caller (sound:hello-world, tone:ring, digits:123, recording:name)')
    .action(
      run(async (api, id: string, media: string[]) => api.request('POST', path(id, 'play'), { body: { media } })),
    );

  call
    .command('dtmf <id> <digits>')
    .description('send DTMF digits to the caller')
    .option('--duration-ms <ms>', 'length of each digit', intArg)
    .action(
      run(async (api, id: string, digits: string, o: { durationMs?: number }) =>
        api.request('POST', path(id, 'dtmf'), {
          body: { digits, ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}) },
        }),
      ),
    );

  call
    .command('send-message <id> <text>')
    .description("give text to the call's agent (a supervisor instruction or a user message)")
    .option('--interrupt', 'make the agent stop speaking to take it')
    .action(
      run(async (api, id: string, text: string, o: { interrupt?: boolean }) =>
        api.request('POST', path(id, 'messages'), { body: { text, ...(o.interrupt ? { interrupt: true } : {}) } }),
      ),
    );

  call
    .command('record <id> <action>')
    .description('start or stop recording a call (action: start | stop)')
    .option('--name <name>', 'recording name (default call-<id>)')
    .option('--format <format>', 'wav, gsm, sln, sln16, ulaw or alaw')
    .action(
      run(async (api, id: string, action: string, o: { name?: string; format?: string }) =>
        api.request('POST', path(id, 'record'), {
          body: { action, ...(o.name ? { name: o.name } : {}), ...(o.format ? { format: o.format } : {}) },
        }),
      ),
    );

  return call;
}
