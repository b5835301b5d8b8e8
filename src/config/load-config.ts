import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type ConfigIssue, ConfigError } from '../errors/config-error.js';
import { type DeepReadonly, deepFreeze } from '../lib/deep-freeze.js';
import { type HttpConfig, parseApiTokens } from './api-tokens.js';
import { ENV_VARS, type EnvValues, type EnvVarName } from './env-vars.js';
import { defaultMediaWorkers, mediaWorkerPortIssues } from './media-worker-env-vars.js';
import { rtpPortSplitIssues } from './rtp-port-split.js';
import { resolveSipWebhookSecrets } from './openai-sip-route.js';
import { type Route, type RouteInput, routesFileSchema } from './routes.js';
import { describeZodIssue, formatZodIssues } from './zod-issues.js';

export interface ConfigShape {
  instanceId: string;
  log: { level: EnvValues['LOG_LEVEL']; pretty: boolean };
  audiosocket: {
    host: string;
    port: number;
    /** Set when AUDIOSOCKET_ADVERTISE_HOST is; otherwise 127.0.0.1 and the bound port. */
    advertiseHost: string | undefined;
    maxFrameBytes: number;
    handshakeTimeoutMs: number;
    idleTimeoutMs: number;
    uuidTtlMs: number;
    /** Dialplan-direct connections with an unknown UUID take the catch-all route. */
    allowAnyUuid: boolean;
  };
  playout: { maxMs: number };
  /** Processes that carry the media of Stasis calls (MEDIA_WORKERS); 0: all in the primary. */
  mediaWorkers: number;
  /** The media clock: sub-ticks of the 20 ms period that calls are spread over. */
  mediaClock: { phases: number };
  /** Caller silence on the wire: gap filling and the dead-leg watchdog. */
  mediaSilence: { gapFillAfterMs: number; ariCheckAfterMs: number };
  shutdownDeadlineMs: number;
  ari: { url: string; username: string; password: string; app: string; requestTimeoutMs: number } | undefined;
  media: { format: 'slin' | 'slin16' };
  /** Routes with `media: websocket` (chan_websocket). */
  chanWebSocket: {
    pacing: 'clock' | 'asterisk';
    leadMs: number;
    controlFormat: 'json' | 'plain-text';
    /** Set when Asterisk connects to us (CHAN_WEBSOCKET_CONNECTION=client). */
    client: { id: string; host: string; port: number; username: string; password: string } | undefined;
  };
  /** Routes with `media: rtp` (externalMedia over RTP/UDP). */
  rtp: {
    minPort: number;
    maxPort: number;
    bindHost: string;
    advertiseHost: string;
    jitterBufferMs: number;
    slin16Send: 'slin' | 'slin16';
    payloadTypes: Partial<Record<'ulaw' | 'alaw' | 'slin' | 'slin16', number>>;
  };
  agent: { connectTimeoutMs: number; waitTimeoutMs: number; tokenTtlMs: number; connectBaseUrl: string | undefined };
  labMode: boolean;
  /** WebRTC agents: STUN/TURN servers and the addresses host candidates are offered on. */
  webrtc: {
    iceServers: Array<{ urls: string | string[]; username?: string | undefined; credential?: string | undefined }>;
    hostAddresses: string[];
  };
  vad: {
    engine: 'silero' | 'off';
    threshold: number;
    minSpeechMs: number;
    minSilenceMs: number;
    batchIntervalMs: number;
    /** Energy gate level in dBFS; undefined: off. */
    energyGateDbfs: number | undefined;
    /** `auto`, `off` or a CPU list. */
    workerCpus: string;
    /** `idle`, `normal` or a nice value. */
    workerPriority: 'idle' | 'normal' | number;
  };
  routes: Route[];
  /** Route agent secrets resolved from the environment variables the routes name, by route name. */
  routeSecrets: Record<string, string>;
  /** openai-sip routes: webhook signing secrets (several while rotating) by route name, and the timestamp tolerance. */
  openaiSip: { webhookSecrets: Record<string, readonly string[]>; toleranceS: number };
  /** Persistence and the job layer; undefined when MYSQL_URL or REDIS_URL is not set. */
  jobs:
    | {
        mysqlUrl: string;
        mysqlPoolSize: number;
        migrateOnStart: boolean;
        redisUrl: string;
        prefix: string;
        controlTimeoutMs: number;
        ownershipTtlMs: number;
        orphanSweepIntervalMs: number;
        stalledIntervalMs: number;
      }
    | undefined;
  /** Webhook endpoints with their secrets: for every call (`all`) and per route name. */
  webhooks: { all: WebhookEndpointConfig[]; byRoute: Record<string, WebhookEndpointConfig[]> };
  /** HTTP tools of all routes, secrets resolved. */
  httpTools: HttpToolConfig[];
  defaultAgent: EnvValues['DEFAULT_AGENT'];
  /** The HTTP control plane; undefined when HTTP_ENABLED=false. */
  http: HttpConfig | undefined;
}
export type Config = DeepReadonly<ConfigShape>;

export interface WebhookEndpointConfig {
  url: string;
  secret: string;
  events?: string[];
  timeoutMs?: number;
}

export interface HttpToolConfig {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  url: string;
  secret: string;
  timeoutMs?: number;
  idempotent?: boolean;
  /** Routes whose agents get this tool. */
  routes: string[];
}

export interface LoadConfigOptions {
  /** Source of variables; the process environment by default. Only this module reads `process.env`. */
  env?: Record<string, string | undefined>;
  readFile?: (path: string) => string;
  isTty?: boolean;
  /** Cores available to the process, for MEDIA_WORKERS=auto; os.availableParallelism() by default. */
  availableCores?: number;
}

/** Parses the environment into EnvValues; collects every problem before failing. */
export function parseEnv(env: Record<string, string | undefined>): EnvValues {
  const issues: ConfigIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_VARS) as [EnvVarName, (typeof ENV_VARS)[EnvVarName]][]) {
    const raw = env[name] === '' ? undefined : (env[name] ?? ('default' in spec ? spec.default : undefined));
    if (raw === undefined) {
      out[name] = undefined;
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else {
      // Enums list what is allowed; the bad value is echoed, except for secrets.
      const got = 'secret' in spec && spec.secret ? '(value not shown: a secret)' : `(got ${JSON.stringify(raw)})`;
      issues.push(
        ...parsed.error.issues.map((i) => ({
          variable: name,
          message: `${describeZodIssue({ ...i, input: undefined })} ${got}`,
        })),
      );
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out as EnvValues;
}

/** Reads and validates a routes file; errors name the file and the JSON path at fault. */
export function parseRoutesFile(path: string, text: string): RouteInput[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ variable: `ROUTES_FILE ${path}`, message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const parsed = routesFileSchema.safeParse(json, { reportInput: true });
  if (!parsed.success) throw new ConfigError(formatZodIssues(`ROUTES_FILE ${path}`, parsed.error));
  return parsed.data.routes;
}

/** Reads the configuration once, validates and defaults it, and returns it frozen. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const v = parseEnv(env);
  let routes: RouteInput[] = [];
  if (v.ROUTES_FILE) {
    const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
    let text: string;
    try {
      text = read(v.ROUTES_FILE);
    } catch (err) {
      throw new ConfigError([
        { variable: 'ROUTES_FILE', message: `cannot read ${v.ROUTES_FILE}: ${(err as Error).message}` },
      ]);
    }
    routes = parseRoutesFile(v.ROUTES_FILE, text);
  }
  const issues: ConfigIssue[] = [];
  const routeSecrets: Record<string, string> = {};
  for (const r of routes) {
    // A dial-in route's secret signs its agent start hook.
    const name =
      'secretEnv' in r.agent ? r.agent.secretEnv : r.agent.kind === 'dial-in' ? r.agent.start?.secretEnv : undefined;
    if (name === undefined) continue;
    const value = env[name];
    if (!value)
      issues.push({ variable: name, message: `route "${r.name}" names it as its agent secret, but it is not set` });
    else routeSecrets[r.name] = value;
  }
  const sipWebhookSecrets = resolveSipWebhookSecrets(routes, env, issues);
  if (!v.HTTP_ENABLED && routes.some((r) => r.agent.kind === 'openai-sip'))
    issues.push({ variable: 'HTTP_ENABLED', message: 'openai-sip routes need the HTTP server (their webhook)' });
  if (v.ARI_URL && !v.ARI_PASSWORD) issues.push({ variable: 'ARI_PASSWORD', message: 'required when ARI_URL is set' });
  if (Boolean(v.MYSQL_URL) !== Boolean(v.REDIS_URL)) {
    issues.push({ variable: v.MYSQL_URL ? 'REDIS_URL' : 'MYSQL_URL', message: 'MYSQL_URL and REDIS_URL go together' });
  }
  if (v.WEBHOOK_URL && !v.WEBHOOK_SECRET)
    issues.push({ variable: 'WEBHOOK_SECRET', message: 'required with WEBHOOK_URL' });
  const secretOf = (name: string, what: string): string => {
    const value = env[name];
    if (!value) issues.push({ variable: name, message: `${what} names it as its secret, but it is not set` });
    else if (value.length < 16)
      issues.push({ variable: name, message: `${what}: use a secret of at least 16 characters` });
    return value ?? '';
  };
  const byRoute: Record<string, WebhookEndpointConfig[]> = {};
  const tools = new Map<string, HttpToolConfig>();
  for (const r of routes) {
    byRoute[r.name] = r.webhooks.map((w) => ({
      url: w.url,
      secret: secretOf(w.secretEnv, `route "${r.name}" webhook ${w.url}`),
      ...(w.events ? { events: w.events } : {}),
      ...(w.timeoutMs ? { timeoutMs: w.timeoutMs } : {}),
    }));
    for (const t of r.tools) {
      const existing = tools.get(t.name);
      if (existing) {
        if (existing.url !== t.url) {
          issues.push({ variable: `ROUTES_FILE tool ${t.name}`, message: 'defined twice with different URLs' });
        }
        existing.routes.push(r.name);
        continue;
      }
      tools.set(t.name, {
        name: t.name,
        url: t.url,
        secret: secretOf(t.secretEnv, `route "${r.name}" tool ${t.name}`),
        routes: [r.name],
        ...(t.description ? { description: t.description } : {}),
        ...(t.parameters ? { parameters: t.parameters } : {}),
        ...(t.timeoutMs ? { timeoutMs: t.timeoutMs } : {}),
        ...(t.idempotent !== undefined ? { idempotent: t.idempotent } : {}),
      });
    }
  }
  const apiTokens = v.API_TOKENS ? parseApiTokens(v.API_TOKENS) : { tokens: [], issues: [] };
  issues.push(...apiTokens.issues);
  if (v.CHAN_WEBSOCKET_CONNECTION === 'client' && !v.CHAN_WEBSOCKET_PASSWORD)
    issues.push({ variable: 'CHAN_WEBSOCKET_PASSWORD', message: 'required with CHAN_WEBSOCKET_CONNECTION=client' });
  if (v.RTP_PORT_MIN > v.RTP_PORT_MAX)
    issues.push({ variable: 'RTP_PORT_MAX', message: `must not be below RTP_PORT_MIN (${v.RTP_PORT_MIN})` });
  const mediaWorkers = v.MEDIA_WORKERS === 'auto' ? defaultMediaWorkers(options.availableCores) : v.MEDIA_WORKERS;
  issues.push(...mediaWorkerPortIssues({ ...v, MEDIA_WORKERS: mediaWorkers }, v.MEDIA_WORKERS === 'auto'));
  issues.push(
    ...rtpPortSplitIssues({
      ...v,
      MEDIA_WORKERS: mediaWorkers,
      rtpRoutes: routes.filter((r) => r.media === 'rtp').map((r) => r.name),
    }),
  );
  if (issues.length > 0) throw new ConfigError(issues);
  const port = v.AUDIOSOCKET_PORT;
  const config: ConfigShape = {
    instanceId: v.INSTANCE_ID ?? `${hostname()}:${process.pid}`,
    log: { level: v.LOG_LEVEL, pretty: v.LOG_PRETTY ?? options.isTty ?? false },
    audiosocket: {
      host: v.AUDIOSOCKET_HOST,
      port,
      advertiseHost: v.AUDIOSOCKET_ADVERTISE_HOST,
      maxFrameBytes: v.AUDIOSOCKET_MAX_FRAME_BYTES,
      handshakeTimeoutMs: v.AUDIOSOCKET_HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: v.AUDIOSOCKET_IDLE_TIMEOUT_MS,
      uuidTtlMs: v.AUDIOSOCKET_UUID_TTL_MS,
      allowAnyUuid: v.AUDIOSOCKET_ALLOW_ANY_UUID,
    },
    playout: { maxMs: v.PLAYOUT_MAX_MS },
    mediaWorkers,
    mediaClock: { phases: v.MEDIA_CLOCK_PHASES },
    mediaSilence: { gapFillAfterMs: v.MEDIA_GAP_FILL_AFTER_MS, ariCheckAfterMs: v.MEDIA_SILENCE_CHECK_MS },
    shutdownDeadlineMs: v.SHUTDOWN_DEADLINE_MS,
    ari:
      v.ARI_URL && v.ARI_PASSWORD
        ? {
            url: v.ARI_URL.replace(/\/+$/, ''),
            username: v.ARI_USERNAME,
            password: v.ARI_PASSWORD,
            app: v.ARI_APP,
            requestTimeoutMs: v.ARI_REQUEST_TIMEOUT_MS,
          }
        : undefined,
    media: { format: v.MEDIA_FORMAT },
    chanWebSocket: {
      pacing: v.CHAN_WEBSOCKET_PACING,
      leadMs: v.CHAN_WEBSOCKET_LEAD_MS,
      controlFormat: v.CHAN_WEBSOCKET_CONTROL_FORMAT,
      client:
        v.CHAN_WEBSOCKET_CONNECTION === 'client' && v.CHAN_WEBSOCKET_PASSWORD
          ? {
              id: v.CHAN_WEBSOCKET_CLIENT_ID,
              host: v.CHAN_WEBSOCKET_LISTEN_HOST,
              port: v.CHAN_WEBSOCKET_LISTEN_PORT,
              username: v.CHAN_WEBSOCKET_USERNAME,
              password: v.CHAN_WEBSOCKET_PASSWORD,
            }
          : undefined,
    },
    rtp: {
      minPort: v.RTP_PORT_MIN,
      maxPort: v.RTP_PORT_MAX,
      bindHost: v.RTP_BIND_HOST,
      advertiseHost: v.RTP_ADVERTISE_HOST,
      jitterBufferMs: v.RTP_JITTER_BUFFER_MS,
      slin16Send: v.RTP_SLIN16_SEND,
      payloadTypes: v.RTP_PAYLOAD_TYPES ?? {},
    },
    agent: {
      connectTimeoutMs: v.AGENT_CONNECT_TIMEOUT_MS,
      waitTimeoutMs: v.AGENT_WAIT_TIMEOUT_MS,
      tokenTtlMs: v.AGENT_TOKEN_TTL_MS,
      connectBaseUrl: v.AGENT_CONNECT_BASE_URL,
    },
    labMode: v.LAB_MODE,
    webrtc: { iceServers: v.WEBRTC_ICE_SERVERS ?? [], hostAddresses: v.WEBRTC_HOST_ADDRESSES },
    vad: {
      engine: v.VAD,
      threshold: v.VAD_THRESHOLD,
      minSpeechMs: v.VAD_MIN_SPEECH_MS,
      minSilenceMs: v.VAD_MIN_SILENCE_MS,
      batchIntervalMs: v.VAD_BATCH_INTERVAL_MS,
      energyGateDbfs: v.VAD_ENERGY_GATE_DBFS,
      workerCpus: v.VAD_WORKER_CPUS,
      workerPriority:
        v.VAD_WORKER_PRIORITY === 'idle' || v.VAD_WORKER_PRIORITY === 'normal'
          ? v.VAD_WORKER_PRIORITY
          : Number(v.VAD_WORKER_PRIORITY),
    },
    routes: routes.map((r) => ({ ...r, audioFormat: r.audioFormat ?? v.MEDIA_FORMAT })),
    routeSecrets,
    openaiSip: { webhookSecrets: sipWebhookSecrets, toleranceS: v.OPENAI_SIP_WEBHOOK_TOLERANCE_S },
    defaultAgent: v.DEFAULT_AGENT,
    jobs:
      v.MYSQL_URL && v.REDIS_URL
        ? {
            mysqlUrl: v.MYSQL_URL,
            mysqlPoolSize: v.MYSQL_POOL_SIZE,
            migrateOnStart: v.MIGRATE_ON_START,
            redisUrl: v.REDIS_URL,
            prefix: v.JOBS_PREFIX,
            controlTimeoutMs: v.CONTROL_TIMEOUT_MS,
            ownershipTtlMs: v.CALL_OWNERSHIP_TTL_MS,
            orphanSweepIntervalMs: v.CALL_ORPHAN_SWEEP_INTERVAL_MS,
            stalledIntervalMs: v.JOBS_STALLED_INTERVAL_MS,
          }
        : undefined,
    webhooks: {
      all: v.WEBHOOK_URL && v.WEBHOOK_SECRET ? [{ url: v.WEBHOOK_URL, secret: v.WEBHOOK_SECRET }] : [],
      byRoute,
    },
    httpTools: [...tools.values()],
    http: v.HTTP_ENABLED
      ? {
          host: v.HTTP_HOST,
          port: v.HTTP_PORT,
          tokens: apiTokens.tokens,
          rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
          bodyLimitBytes: v.BODY_LIMIT_BYTES,
        }
      : undefined,
  };
  return deepFreeze(config);
}
