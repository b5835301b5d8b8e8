/**
 * Commands an application sends to chan_websocket (TEXT frames), as one discriminated union, with their JSON
 * (`{"command":…}`) and plain-text (`NAME [value]`) encodings, and the parser the simulated Asterisk uses.
 */
import { z } from 'zod';
import { parsePlainText } from './plain-text.js';

const correlation = z.string().min(1).max(256).regex(/^\S+$/, 'no whitespace');

export const ChanWebSocketCommandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('ANSWER') }),
  z.object({ command: z.literal('HANGUP') }),
  z.object({ command: z.literal('START_MEDIA_BUFFERING') }),
  z.object({ command: z.literal('STOP_MEDIA_BUFFERING'), correlation_id: correlation.optional() }),
  z.object({ command: z.literal('MARK_MEDIA'), correlation_id: correlation }),
  z.object({ command: z.literal('FLUSH_MEDIA') }),
  z.object({ command: z.literal('PAUSE_MEDIA') }),
  z.object({ command: z.literal('CONTINUE_MEDIA') }),
  z.object({ command: z.literal('GET_STATUS') }),
  z.object({ command: z.literal('REPORT_QUEUE_DRAINED') }),
  z.object({ command: z.literal('SET_MEDIA_DIRECTION'), direction: z.enum(['both', 'in', 'out']) }),
]);

export type ChanWebSocketCommand = z.output<typeof ChanWebSocketCommandSchema>;
export type ChanWebSocketCommandName = ChanWebSocketCommand['command'];

const POSITIONAL: Readonly<Record<string, string>> = {
  MARK_MEDIA: 'correlation_id',
  STOP_MEDIA_BUFFERING: 'correlation_id',
  SET_MEDIA_DIRECTION: 'direction',
};

/** Encodes a command for the channel's control format. */
export function encodeChanWebSocketCommand(cmd: ChanWebSocketCommand, format: 'json' | 'plain-text'): string {
  if (format === 'json') return JSON.stringify(cmd);
  switch (cmd.command) {
    case 'MARK_MEDIA':
      return `${cmd.command} ${cmd.correlation_id}`;
    case 'STOP_MEDIA_BUFFERING':
      return cmd.correlation_id === undefined ? cmd.command : `${cmd.command} ${cmd.correlation_id}`;
    case 'SET_MEDIA_DIRECTION':
      return `${cmd.command} ${cmd.direction}`;
    case 'ANSWER':
    case 'HANGUP':
    case 'START_MEDIA_BUFFERING':
    case 'FLUSH_MEDIA':
    case 'PAUSE_MEDIA':
    case 'CONTINUE_MEDIA':
    case 'GET_STATUS':
    case 'REPORT_QUEUE_DRAINED':
      return cmd.command;
  }
}

/** How the simulated Asterisk reads one command frame: a command, unparseable, or an unknown name. */
export type ParsedCommand =
  | { kind: 'command'; command: ChanWebSocketCommand }
  | { kind: 'unparseable' }
  | { kind: 'unknown'; name: string };

/**
 * Parses a command as chan_websocket does for the channel's format: on a JSON channel a frame that is not JSON is
 * `unparseable` (Asterisk answers ERROR "Unable to parse JSON command"); an unknown command is only logged.
 */
export function parseChanWebSocketCommand(text: string, format: 'json' | 'plain-text'): ParsedCommand {
  let raw: unknown;
  if (format === 'json') {
    try {
      raw = JSON.parse(text);
    } catch {
      return { kind: 'unparseable' };
    }
    if (typeof raw !== 'object' || raw === null) return { kind: 'unparseable' };
  } else {
    const plain = parsePlainText(text, POSITIONAL);
    if (!plain) return { kind: 'unparseable' };
    raw = { command: plain.name, ...plain.fields };
  }
  const result = ChanWebSocketCommandSchema.safeParse(raw);
  if (result.success) return { kind: 'command', command: result.data };
  const name = (raw as { command?: unknown }).command;
  return { kind: 'unknown', name: typeof name === 'string' ? name : '' };
}
