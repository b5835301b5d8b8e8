/**
 * Bad-input properties shared by the CI fuzz suite (`test/property/fuzz-parsers.test.ts`, thousands of cases) and
 * the nightly-style `scripts/fuzz-long.ts` (many more). Each property feeds hostile input to one parser at the
 * process edge and holds that it answers with its typed failure, never with an exception.
 */
import fc from 'fast-check';
import { loadConfig } from '../../src/config/load-config.js';
import { ENV_VARS } from '../../src/config/env-vars.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { parseConnectInMessage } from '../../src/protocols/agent/connect-in.js';
import { parseAgentMessage } from '../../src/protocols/agent/parse.js';
import { parseAriEventText } from '../../src/protocols/ari/parse-event.js';
import { decodePipecatFrame, encodePipecatFrame, parseBotMessage } from '../../src/protocols/pipecat/index.js';
import { KNOWN_ARI_EVENT_TYPES } from '../../src/protocols/ari/events.js';
import { parseRealtimeServerEvent, REALTIME_SERVER_EVENT_TYPES } from '../../src/protocols/realtime/server-events.js';
import { parseTwilioAgentMessage } from '../../src/protocols/twilio/parse.js';
import { rtpDatagramProperty } from './rtp/rtp-fuzz-property.js';

/** A JSON value with hostile leaves: huge numbers, NaN-like strings, nested arrays, prototype keys. */
const hostileLeaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('__proto__', 'constructor', 'NaN', '-1', '1e309', '', '\u0000', 'x'.repeat(5000)),
);
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileLeaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'type', 'event', 'command')), tie('value'), {
      maxKeys: 5,
    }),
  ),
})).value;

/** Text a hostile peer might send: arbitrary strings, broken JSON, JSON of any shape. */
export function hostileText(shaped: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.json(),
    hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
    shaped.map((v) => JSON.stringify(v)),
    shaped.map((v) => JSON.stringify(v).slice(0, -1)),
  );
}

/** An object with a known discriminator and arbitrary fields (the shapes that reach the schemas). */
export function withDiscriminator(key: string, names: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      name: fc.oneof(fc.constantFrom(...names), fc.string()),
      fields: fc.dictionary(fc.string(), hostileValue),
    })
    .map(({ name, fields }) => ({ ...fields, [key]: name }));
}

function neverThrows<T>(parse: (text: string) => T): (text: string) => boolean {
  return (text) => {
    parse(text);
    return true;
  };
}

export const realtimeServerEventProperty = fc.property(
  hostileText(withDiscriminator('type', [...REALTIME_SERVER_EVENT_TYPES, 'response.audio.delta', 'error'])),
  (text) => {
    const r = parseRealtimeServerEvent(text);
    return r.ok || ['malformed_json', 'missing_type', 'invalid_event'].includes(r.code);
  },
);

export const ariEventProperty = fc.property(
  hostileText(withDiscriminator('type', [...KNOWN_ARI_EVENT_TYPES])),
  (text) => {
    const r = parseAriEventText(text);
    return r.ok || ['invalid_json', 'not_an_event', 'schema_mismatch'].includes(r.failure.reason);
  },
);

export const agentMessageProperty = fc.property(
  hostileText(
    withDiscriminator('command', ['accept', 'reject', 'play', 'hangup', 'audio.start', 'audio.end', 'mark', 'dtmf']),
  ),
  neverThrows(parseAgentMessage),
);

export const twilioMessageProperty = fc.property(
  hostileText(withDiscriminator('event', ['media', 'mark', 'clear', 'start', 'stop'])),
  (text) => {
    const r = parseTwilioAgentMessage(text);
    return r.ok || ['malformed_json', 'unknown_event', 'invalid_message'].includes(r.error.code);
  },
);

/** Well-formed Pipecat frames of every kind, as encoded bytes (the base that mutations start from). */
const pipecatFrameBytes = fc
  .oneof(
    fc.record({ kind: fc.constant('text' as const), text: fc.string() }),
    fc.record({
      kind: fc.constant('audio' as const),
      audio: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
      sampleRate: fc.oneof(fc.constantFrom(8000, 16000, 24000, 22050), fc.nat()),
      numChannels: fc.nat({ max: 8 }),
    }),
    fc.record({
      kind: fc.constant('transcription' as const),
      text: fc.string(),
      userId: fc.string(),
      timestamp: fc.string(),
    }),
    fc.record({ kind: fc.constant('message' as const), data: fc.oneof(fc.string(), fc.json()) }),
    fc.constant({ kind: 'interruption' as const }),
  )
  .map((f) => encodePipecatFrame(f));

/** Binary messages a hostile bot might send: random bytes, and real frames flipped, cut short or run together. */
export const hostilePipecatBytes = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  pipecatFrameBytes,
  fc.tuple(pipecatFrameBytes, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
    const c = Buffer.from(b);
    if (c.length > 0) c[at % c.length] = v;
    return c;
  }),
  fc.tuple(pipecatFrameBytes, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
  fc.tuple(pipecatFrameBytes, fc.uint8Array({ maxLength: 64 })).map(([b, tail]) => Buffer.concat([b, tail])),
);

export const pipecatFrameProperty = fc.property(hostilePipecatBytes, (bytes) => {
  const r = decodePipecatFrame(bytes);
  return r.ok || ['malformed_frame', 'unknown_frame'].includes(r.error.code);
});

export const pipecatMessageProperty = fc.property(
  hostileText(withDiscriminator('type', ['user-transcription', 'bot-output', 'bot-transcription', 'error'])).chain(
    (text) => fc.constantFrom(text, JSON.stringify({ label: 'rtvi-ai', ...safeParse(text) })),
  ),
  neverThrows(parseBotMessage),
);

function safeParse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** loadConfig on the given environment and routes text: a Config or a ConfigError, never anything else. */
function configOutcome(env: Record<string, string>, routesText: string | undefined): boolean {
  try {
    loadConfig({
      env: { ...env, ...(routesText === undefined ? {} : { ROUTES_FILE: 'routes.json' }) },
      readFile: () => {
        if (routesText === undefined) throw new Error('ENOENT');
        return routesText;
      },
      isTty: false,
    });
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.length > 0;
    throw err;
  }
}

const ENV_NAMES = Object.keys(ENV_VARS);
const envValue = fc.oneof(
  fc.string(),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    'true',
    'off',
    'silero',
    '0',
    '-1',
    '99999999999',
    'mysql://u:p@h:3306/d',
    'redis://h:6379',
    'http://127.0.0.1:8088',
    'ws://x',
    ' ',
  ),
);

export const configEnvProperty = fc.property(fc.dictionary(fc.constantFrom(...ENV_NAMES), envValue), (env) =>
  configOutcome(env, undefined),
);

/** Routes files: real-looking routes with fields replaced by hostile values, and arbitrary text. */
const routeLike = fc
  .record({
    name: fc.oneof(fc.constantFrom('sales', 'a b', ''), fc.string()),
    match: fc.oneof(
      fc.record({ caller: fc.oneof(fc.constantFrom('(', '+49.*', '[a-'), fc.string()) }, { requiredKeys: [] }),
      hostileValue,
    ),
    agent: fc.oneof(
      fc.record({
        kind: fc.constantFrom('echo', 'websocket', 'twilio', 'openai-realtime', 'webrtc', 'dial-in', 'nope'),
        url: fc.oneof(fc.constantFrom('ws://127.0.0.1:9/a', 'http://x', 'ws://'), fc.string()),
        secretEnv: fc.oneof(fc.constantFrom('AGENT_SECRET', 'lower', 'sk-secret'), fc.string()),
      }),
      hostileValue,
    ),
    callerAllowlist: fc.oneof(fc.array(fc.oneof(fc.string(), fc.constantFrom('(', '\\'))), hostileValue),
    extra: fc.option(hostileValue, { nil: undefined }),
  })
  .map(({ extra, ...r }) => (extra === undefined ? r : { ...r, extra }));

export const routesFileProperty = fc.property(
  fc.oneof(
    fc.string(),
    fc.json(),
    fc.array(routeLike, { maxLength: 3 }).map((routes) => JSON.stringify({ routes })),
    hostileValue.map((v) => JSON.stringify({ routes: v }) ?? ''),
  ),
  (text) => configOutcome({ AGENT_SECRET: 'x' }, text),
);

/** First messages of agents that dial in: a typed claim, invite or refusal (with a protocol error code), never a throw. */
export const connectInMessageProperty = fc.property(
  hostileText(withDiscriminator('command', ['claim', 'invite', 'accept'])),
  (text) => {
    const r = parseConnectInMessage(text);
    if (r.kind === 'refused') return ['malformed_json', 'unknown_command', 'invalid_command'].includes(r.code);
    return r.kind === 'claim' || r.kind === 'invite';
  },
);

/** Runs one property with the given options and returns fast-check's details (never throws for a failure). */
export type FuzzCheck = (options: { numRuns: number; seed?: number }) => fc.RunDetails<unknown>;

function checker<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>): FuzzCheck {
  return (options) => fc.check(property, options) as fc.RunDetails<unknown>;
}

/** Every property with the number of runs it gets in CI. */
export const FUZZ_PROPERTIES: readonly { name: string; check: FuzzCheck; ciRuns: number }[] = [
  { name: 'Realtime server events', check: checker(realtimeServerEventProperty), ciRuns: 3000 },
  { name: 'ARI events', check: checker(ariEventProperty), ciRuns: 3000 },
  { name: 'native agent messages', check: checker(agentMessageProperty), ciRuns: 3000 },
  { name: 'Twilio dialect messages', check: checker(twilioMessageProperty), ciRuns: 3000 },
  { name: 'Pipecat protobuf frames', check: checker(pipecatFrameProperty), ciRuns: 3000 },
  { name: 'dial-in first messages', check: checker(connectInMessageProperty), ciRuns: 3000 },
  { name: 'Pipecat RTVI messages', check: checker(pipecatMessageProperty), ciRuns: 2000 },
  { name: 'config values', check: checker(configEnvProperty), ciRuns: 1500 },
  { name: 'routes files', check: checker(routesFileProperty), ciRuns: 1500 },
  { name: 'RTP datagrams', check: checker(rtpDatagramProperty), ciRuns: 3000 },
];
