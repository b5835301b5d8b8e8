import { z } from 'zod';
import { AGENT_ENV_VARS } from './agent-env-vars.js';
import { MEDIA_WORKER_ENV_VARS } from './media-worker-env-vars.js';
import { RTP_ENV_VARS } from './rtp-env-vars.js';

/**
 * Every environment variable the service reads: its schema (which parses the raw string), its default and what it
 * does. The loader, the README's configuration table and `ava config` all come from this one table.
 */
export interface EnvVarSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** Raw default, as it would be written in the environment; undefined means optional with no value. */
  default?: string;
  description: string;
  secret?: boolean;
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** STUN/TURN server URLs as browsers take them (RFC 7064/7065). */
const iceServerUrl = z.string().regex(/^(stuns?|turns?):[^\s]+$/, 'expected a stun:, stuns:, turn: or turns: URL');
const iceServer = z
  .object({
    urls: z.union([iceServerUrl, z.array(iceServerUrl).min(1)]),
    username: z.string().optional(),
    credential: z.string().optional(),
  })
  .strict();
const iceServers = z
  .string()
  .transform((raw, ctx): unknown => {
    const text = raw.trim();
    if (!text.startsWith('[')) return text.split(',').flatMap((u) => (u.trim() ? [{ urls: u.trim() }] : []));
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid JSON list of ICE servers' });
      return z.NEVER;
    }
  })
  .pipe(z.array(iceServer));
const hostAddresses = z
  .string()
  .transform((raw) => raw.split(',').flatMap((a) => (a.trim() ? [a.trim()] : [])))
  .pipe(z.array(z.union([z.literal('*'), z.ipv4(), z.ipv6()], { message: 'expected IP addresses or *' })).min(1));

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function spec<const T extends EnvVarSpec>(s: T): T {
  return s;
}

export const ENV_VARS = {
  LOG_LEVEL: spec({ schema: z.enum(LOG_LEVELS), default: 'info', description: 'pino log level.' }),
  LOG_PRETTY: spec({
    schema: bool,
    description: 'Human-readable logs. Default: on when stderr is a TTY, JSON lines otherwise.',
  }),
  INSTANCE_ID: spec({
    schema: z.string().min(1).max(64),
    description: 'Name of this adapter instance (ownership of calls across instances). Default: hostname:pid.',
  }),
  AUDIOSOCKET_HOST: spec({
    schema: z.string().min(1),
    default: '0.0.0.0',
    description: 'Address the AudioSocket TCP server listens on.',
  }),
  AUDIOSOCKET_PORT: spec({
    schema: port,
    default: '9093',
    description: 'Port of the AudioSocket TCP server (0 picks a free port).',
  }),
  AUDIOSOCKET_ADVERTISE_HOST: spec({
    schema: z.string().min(1),
    description:
      'host:port Asterisk dials for externalMedia AudioSocket channels. Default: 127.0.0.1:<AUDIOSOCKET_PORT>.',
  }),
  AUDIOSOCKET_MAX_FRAME_BYTES: spec({
    schema: z.coerce.number().int().min(640).max(65535),
    default: '8192',
    description:
      'Largest AudioSocket payload accepted; a longer frame closes the connection (20 ms of slin192 is 7680).',
  }),
  AUDIOSOCKET_HANDSHAKE_TIMEOUT_MS: spec({
    schema: positiveInt,
    default: '2000',
    description: 'A connection must send its UUID frame within this time or it is closed.',
  }),
  AUDIOSOCKET_IDLE_TIMEOUT_MS: spec({
    schema: z.coerce.number().int().min(0),
    default: '0',
    description:
      'Dialplan-direct calls (no ARI to ask) end as `media_timeout` after this much silence on the wire; 0 never ends them for silence. Asterisk sends nothing while a caller is silence-suppressed or muted, so keep it long; TCP keepalive finds dead peers, and Asterisk closes the socket on hangup. Stasis calls use MEDIA_SILENCE_CHECK_MS instead.',
  }),
  AUDIOSOCKET_UUID_TTL_MS: spec({
    schema: positiveInt,
    default: '60000',
    description: 'How long a registered AudioSocket UUID waits for its connection before it expires.',
  }),
  AUDIOSOCKET_ALLOW_ANY_UUID: spec({
    schema: bool,
    default: 'false',
    description:
      "Dialplan-direct: let an AudioSocket connection with any UUID take the first catch-all route (or DEFAULT_AGENT). Off: only UUIDs expected from Stasis, pre-registered through the API, or listed in a route's `audiosocketUuids` are admitted. Turn on only where nothing untrusted can reach the port.",
  }),
  MEDIA_GAP_FILL_AFTER_MS: spec({
    schema: z.coerce.number().int().min(40).max(1000),
    default: '60',
    description:
      "When Asterisk sends no caller audio for longer than this (silence suppression, a mute, a media hiccup), the uplink is filled with 20 ms silence frames on the media clock until real frames resume, so VAD, a Realtime server's turn detection and recordings stay in time. Above normal frame jitter, so late frames are never doubled.",
  }),
  MEDIA_SILENCE_CHECK_MS: spec({
    schema: z.coerce.number().int().min(1000),
    default: '5000',
    description:
      "Stasis calls: after this much caller silence on the wire, and again at this interval while it lasts, ARI is asked whether the caller's and the media channel still exist. The call ends as `media_timeout` only when one is gone; a quiet caller is never hung up.",
  }),
  PLAYOUT_MAX_MS: spec({
    schema: z.coerce.number().int().min(1000).max(600_000),
    default: '120000',
    description:
      'Most agent audio buffered ahead of the caller per call. Audio beyond it is dropped (newest first) and counted.',
  }),
  MEDIA_CLOCK_PHASES: spec({
    schema: z.coerce.number().int().min(1).max(10),
    default: '4',
    description:
      "Sub-ticks the 20 ms media clock serves calls in: each call's outbound frames go out on one phase (the least-loaded when the call starts; 4 phases are 5 ms apart), every call on its own exact 20 ms grid, so one wake-up writes to a share of the calls instead of all of them at once. 1: every call on the same tick.",
  }),
  ARI_URL: spec({
    schema: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL like http://127.0.0.1:8088' }),
    description:
      "Base URL of Asterisk's HTTP server (ARI lives under /ari). Without it the adapter runs dialplan-direct only.",
  }),
  ARI_USERNAME: spec({ schema: z.string().min(1), default: 'adapter', description: 'ARI user (ari.conf).' }),
  ARI_PASSWORD: spec({ schema: z.string().min(1), description: 'ARI password. Required with ARI_URL.', secret: true }),
  ARI_APP: spec({
    schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    default: 'voice-adapter',
    description: 'Stasis application name used in the dialplan: Stasis(<ARI_APP>[,route]).',
  }),
  ARI_REQUEST_TIMEOUT_MS: spec({
    schema: positiveInt,
    default: '5000',
    description: 'Timeout of one ARI HTTP request.',
  }),
  MEDIA_FORMAT: spec({
    schema: z.enum(['slin', 'slin16']),
    default: 'slin',
    description: 'Default externalMedia format asked of Asterisk (a route may override): slin (8 kHz) or slin16.',
  }),
  CHAN_WEBSOCKET_PACING: spec({
    schema: z.enum(['clock', 'asterisk']),
    default: 'clock',
    description:
      'Routes with media "websocket": clock sends one 20 ms frame per media-clock tick (silence included); asterisk sends agent audio ahead (up to CHAN_WEBSOCKET_LEAD_MS) and lets Asterisk pace it.',
  }),
  CHAN_WEBSOCKET_LEAD_MS: spec({
    schema: z.coerce.number().int().min(20).max(18_000),
    default: '1000',
    description:
      'With CHAN_WEBSOCKET_PACING=asterisk: most agent audio sent ahead of what Asterisk has played (below its 900-frame XOFF level).',
  }),
  CHAN_WEBSOCKET_CONTROL_FORMAT: spec({
    schema: z.enum(['json', 'plain-text']),
    default: 'json',
    description:
      'chan_websocket control message format asked per call (transport_data f(...)); json needs Asterisk 20.18, 22.8 or 23.2 and later.',
  }),
  CHAN_WEBSOCKET_CONNECTION: spec({
    schema: z.enum(['server', 'client']),
    default: 'server',
    description:
      "server: the adapter connects to Asterisk's /media/<id>. client: Asterisk connects to the adapter through the websocket_client.conf entry CHAN_WEBSOCKET_CLIENT_ID (uri ws://<CHAN_WEBSOCKET_LISTEN_HOST>:<port>/media, Basic auth).",
  }),
  CHAN_WEBSOCKET_CLIENT_ID: spec({
    schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    default: 'ava',
    description:
      'With CHAN_WEBSOCKET_CONNECTION=client: the websocket_client.conf connection id given as external_host.',
  }),
  CHAN_WEBSOCKET_LISTEN_HOST: spec({
    schema: z.string().min(1),
    default: '127.0.0.1',
    description: 'With CHAN_WEBSOCKET_CONNECTION=client: address the media WebSocket listener binds.',
  }),
  CHAN_WEBSOCKET_LISTEN_PORT: spec({
    schema: port,
    default: '9094',
    description: 'With CHAN_WEBSOCKET_CONNECTION=client: port of the media WebSocket listener (0 picks a free port).',
  }),
  CHAN_WEBSOCKET_USERNAME: spec({
    schema: z.string().min(1),
    default: 'asterisk',
    description:
      'With CHAN_WEBSOCKET_CONNECTION=client: the username Asterisk authenticates with (websocket_client.conf).',
  }),
  CHAN_WEBSOCKET_PASSWORD: spec({
    schema: z.string().min(8),
    description: 'With CHAN_WEBSOCKET_CONNECTION=client: the password Asterisk authenticates with. Required then.',
    secret: true,
  }),
  ...RTP_ENV_VARS,
  ...MEDIA_WORKER_ENV_VARS,
  WEBRTC_ICE_SERVERS: spec({
    schema: iceServers,
    description:
      'STUN/TURN servers for WebRTC agents: comma-separated URLs (`stun:stun.example.org:3478`) or a JSON list of `{"urls","username","credential"}`. Default: none (host candidates only).',
    secret: true,
  }),
  WEBRTC_HOST_ADDRESSES: spec({
    schema: hostAddresses,
    default: '127.0.0.1',
    description:
      'Local IP addresses whose host candidates WebRTC agents are offered (comma-separated), or `*` for every interface. The default keeps WebRTC on loopback.',
  }),
  AGENT_CONNECT_TIMEOUT_MS: spec({
    schema: positiveInt,
    default: '5000',
    description: 'How long an agent may take to connect and accept before the call gets its fallback.',
  }),
  AGENT_WAIT_TIMEOUT_MS: spec({
    schema: positiveInt,
    default: '60000',
    description:
      'How long a call of a WebRTC route without `url` waits for an agent to take it at /v1/agent/webrtc before its fallback.',
  }),
  ...AGENT_ENV_VARS,
  LAB_MODE: spec({
    schema: bool,
    default: 'false',
    description:
      'Serve the lab pages: the browser WebRTC agent at /lab/webrtc-agent/ (for trying the adapter, not production).',
  }),
  VAD: spec({
    schema: z.enum(['silero', 'off']),
    default: 'silero',
    description: 'Caller speech detection for speaking/silence events and local barge-in: silero (ONNX, CPU) or off.',
  }),
  VAD_THRESHOLD: spec({
    schema: z.coerce.number().gt(0).lt(1),
    default: '0.5',
    description: 'Speech probability above which a window counts as speech.',
  }),
  VAD_MIN_SPEECH_MS: spec({
    schema: z.coerce.number().int().min(0).max(5000),
    default: '90',
    description:
      'Speech must last this long before `speaking` fires and barge-in happens (rounded up to 32 ms model windows). Lower reacts faster; higher ignores more clicks and coughs.',
  }),
  VAD_MIN_SILENCE_MS: spec({
    schema: z.coerce.number().int().min(0).max(10000),
    default: '400',
    description: 'Silence must last this long before `silence` fires.',
  }),
  VAD_BATCH_INTERVAL_MS: spec({
    schema: z.coerce.number().int().min(0).max(25),
    default: '10',
    description:
      'Least time between two VAD inference jobs (one job scores a window of every call that has one ready). Waiting gathers bigger batches, which cost far less CPU per window, and delays a speech decision by at most this much. 0: a job starts as soon as a window is ready.',
  }),
  VAD_ENERGY_GATE_DBFS: spec({
    schema: z.union([
      z.literal('off').transform(() => undefined),
      z.coerce
        .number({ message: 'expected off or a level in dBFS from -96 to -30' })
        .min(-96, 'expected a level from -96 to -30 dBFS')
        .max(-30, 'expected a level from -96 to -30 dBFS'),
    ]),
    default: '-65',
    description:
      'Energy gate before the VAD model: a 32 ms window whose loudest 8 ms block is below this level (and that follows 256 ms of such windows) is not run through the model and counts as silence. Where callers pause (half the windows of the speech fixtures), the model runs half as often and the VAD worker uses about a third less CPU; digital silence, line idle noise and comfort noise stay under the default. `off`: every window goes to the model. See docs/operations.md.',
  }),
  VAD_WORKER_CPUS: spec({
    schema: z
      .string()
      .regex(/^(auto|off|\d+(-\d+)?(,\d+(-\d+)?)*)$/, 'expected auto, off or a CPU list such as 1 or 2-3'),
    default: 'auto',
    description:
      "CPUs of the VAD inference thread (Linux, with util-linux's taskset). `auto`: when the service may use two or more CPUs, the thread gets the last of them and the event loop keeps the others; on one CPU nothing moves. A CPU list (`1`, `2-3`) pins the thread there and takes those CPUs from the event loop. `off`: left to the OS. What was applied is logged at start.",
  }),
  VAD_WORKER_PRIORITY: spec({
    schema: z
      .string()
      .regex(/^(idle|normal|1?\d)$/, 'expected idle, normal or a nice value 0-19')
      .refine((v) => !/^\d+$/.test(v) || Number(v) <= 19, 'expected a nice value 0-19'),
    default: 'idle',
    description:
      'Scheduling of the VAD inference thread: `idle` (SCHED_IDLE: it runs only when no other thread wants the CPU, so inference never delays the event loop on a shared core; nice 19 where that cannot be set), a nice value 0-19, or `normal`.',
  }),
  SHUTDOWN_DEADLINE_MS: spec({
    schema: z.coerce.number().int().min(0).max(3_600_000),
    default: '30000',
    description: 'On SIGTERM, live calls may run this long before they are hung up with reason `shutdown`.',
  }),
  MYSQL_URL: spec({
    schema: z.url({ protocol: /^mysql$/, message: 'expected mysql://user:password@host:3306/database' }),
    description:
      'MySQL 8 / MariaDB 10.11 database for call records. Without MYSQL_URL and REDIS_URL, calls work but are not recorded and the control API is off.',
    secret: true,
  }),
  MYSQL_POOL_SIZE: spec({
    schema: z.coerce.number().int().min(1).max(200),
    default: '10',
    description: 'MySQL connection pool size.',
  }),
  MIGRATE_ON_START: spec({ schema: bool, default: 'true', description: 'Apply pending database migrations at start.' }),
  REDIS_URL: spec({
    schema: z.url({ protocol: /^rediss?$/, message: 'expected redis://host:6379' }),
    description: 'Redis for the job layer (call control, lifecycle events, tool calls). Needed with MYSQL_URL.',
    secret: true,
  }),
  JOBS_PREFIX: spec({
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - only'),
    default: 'ava',
    description: 'Namespace of every Redis key and queue of this deployment (instances that work together share it).',
  }),
  CONTROL_TIMEOUT_MS: spec({
    schema: positiveInt,
    default: '10000',
    description: 'Default wait for a call-control result.',
  }),
  CALL_OWNERSHIP_TTL_MS: spec({
    schema: z.coerce.number().int().min(2000),
    default: '30000',
    description:
      "Lifetime of a call's owner key (and an instance's liveness key) in Redis without refresh; an instance that dies loses its calls after it, and they are closed as `orphaned`.",
  }),
  CALL_ORPHAN_SWEEP_INTERVAL_MS: spec({
    schema: z.coerce.number().int().min(1000),
    default: '15000',
    description:
      "How often each instance looks for calls of dead instances (owner lease expired, or a previous process of this INSTANCE_ID) and closes them with reason `orphaned`. A dead instance's calls end within CALL_OWNERSHIP_TTL_MS plus this.",
  }),
  JOBS_STALLED_INTERVAL_MS: spec({
    schema: z.coerce.number().int().min(1000),
    default: '30000',
    description: 'BullMQ stalled-job check interval; must be the same on every instance.',
  }),
  WEBHOOK_URL: spec({
    schema: z.url({ protocol: /^https?$/ }),
    description: "An endpoint that receives every call's lifecycle events (routes may add their own).",
  }),
  WEBHOOK_SECRET: spec({
    schema: z.string().min(16, 'use a secret of at least 16 characters'),
    description: 'Signing secret for WEBHOOK_URL (X-Ava-Signature). Required with it.',
    secret: true,
  }),
  ROUTES_FILE: spec({
    schema: z.string().min(1),
    description: 'Path of a JSON routes file (see README, "Routes"). Without it, only DEFAULT_AGENT applies.',
  }),
  DEFAULT_AGENT: spec({
    schema: z.enum(['echo', 'none']),
    default: 'echo',
    description:
      'Agent for calls no route matches when no routes file is given: `echo` (plays the caller back) or `none` (reject).',
  }),
  // HTTP control plane (REST API, health, metrics).
  HTTP_ENABLED: spec({
    schema: bool,
    default: 'true',
    description: 'Serve the REST API, /healthz, /readyz and /metrics.',
  }),
  HTTP_HOST: spec({
    schema: z.string().min(1),
    default: '127.0.0.1',
    description: 'Address the HTTP server listens on.',
  }),
  HTTP_PORT: spec({ schema: port, default: '8080', description: 'Port of the HTTP server (0 picks a free port).' }),
  API_TOKENS: spec({
    schema: z.string().min(1),
    description:
      'Bearer tokens of the REST API: comma-separated `name:scope:token` (scope `read` or `control`; control includes read; `agent` only connects agents in at /v1/agents/ws) or a JSON list of `{"name","scope","token","dialable"?}` (`dialable`: callee patterns an agent token may `invite`, e.g. `["PJSIP/+4930*@trunk"]`; none when absent). Without tokens every /v1 request is refused with 401.',
    secret: true,
  }),
  RATE_LIMIT_PER_MINUTE: spec({
    schema: positiveInt,
    default: '600',
    description: 'REST requests each token may make per minute (token bucket; 429 beyond it).',
  }),
  BODY_LIMIT_BYTES: spec({
    schema: z.coerce.number().int().min(1024).max(10_485_760),
    default: '65536',
    description: 'Largest REST request body accepted (413 beyond it).',
  }),
} as const satisfies Record<string, EnvVarSpec>;

export type EnvVarName = keyof typeof ENV_VARS;
export type EnvValues = {
  [K in EnvVarName]: (typeof ENV_VARS)[K] extends { default: string }
    ? z.output<(typeof ENV_VARS)[K]['schema']>
    : z.output<(typeof ENV_VARS)[K]['schema']> | undefined;
};
