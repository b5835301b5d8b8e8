import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  /** Where JSON lines go; stderr by default so stdout stays free for command output. */
  destination?: pino.DestinationStream;
}

/** Field names whose values never reach the log. */
const REDACT = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

/** The root logger. Per-call loggers are children bound to `{ callId }` (see `callLogger`). */
export function createLogger(options: LoggerOptions): Logger {
  const base: pino.LoggerOptions = {
    level: options.level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) return pino(base, prettyStream());
  return pino(base, pino.destination({ fd: 2, sync: false }));
}

export function callLogger(parent: Logger, callId: string, extra: Record<string, unknown> = {}): Logger {
  return parent.child({ callId, ...extra });
}

/** A minimal human-readable stream for terminals (no extra dependency): `time level [callId] msg {fields}`. */
function prettyStream(): pino.DestinationStream {
  const names: Record<number, string> = {
    10: 'TRACE',
    20: 'DEBUG',
    30: 'INFO ',
    40: 'WARN ',
    50: 'ERROR',
    60: 'FATAL',
  };
  return {
    write(line: string) {
      try {
        const { time, level, msg, callId, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const t = typeof time === 'string' ? time.slice(11, 23) : '';
        const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
        const id = typeof callId === 'string' ? ` [${callId.slice(0, 8)}]` : '';
        process.stderr.write(`${t} ${names[level as number] ?? level}${id} ${String(msg ?? '')}${fields}\n`);
      } catch {
        process.stderr.write(line);
      }
    },
  };
}
