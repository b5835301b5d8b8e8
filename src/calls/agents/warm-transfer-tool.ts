import { z } from 'zod';
import type { RealtimeTransferDestination } from '../../config/realtime-route.js';
import type { FunctionToolDefinition } from '../../protocols/realtime/session-wire.js';
import type { TransferTarget } from '../voice-agent.js';

/** Name of the Realtime built-in tool for a warm transfer (route `builtinTools.warmTransfer`). */
export const WARM_TRANSFER_TOOL = 'warm_transfer';

const argumentsSchema = z.object({
  target: z.string().min(1).max(64),
  summary: z.string().min(1).max(4000),
  reason: z.string().max(256).optional(),
});

/**
 * The function the model sees: it names a destination and gives the summary it will tell the person (it speaks
 * it to them itself once they answer); the caller is told to wait.
 */
export function warmTransferDefinition(
  destinations: Readonly<Record<string, RealtimeTransferDestination>>,
): FunctionToolDefinition {
  const names = Object.keys(destinations);
  const described = names.map((n) => (destinations[n]?.description ? `${n} (${destinations[n]?.description})` : n));
  return {
    type: 'function',
    name: WARM_TRANSFER_TOOL,
    description:
      'Hand the caller over to a person, with context. Tell the caller you are connecting them first. The person is ' +
      'called; when they answer you tell them the summary, then the caller is put through. If the person cannot take ' +
      `the call, you get the reason and the caller is back with you. Destinations: ${described.join(', ')}.`,
    parameters: {
      type: 'object',
      properties: {
        target: { type: 'string', enum: names, description: 'The destination name.' },
        summary: {
          type: 'string',
          description: 'What the person needs to know: who is calling, what they want, what was done so far.',
        },
        reason: { type: 'string', description: 'Why the caller is transferred, for the call log.' },
      },
      required: ['target', 'summary'],
      additionalProperties: false,
    },
  };
}

/** Parses the model's arguments against the route's destinations; a message for the model when they do not fit. */
export function parseWarmTransferArguments(
  args: unknown,
  destinations: Readonly<Record<string, RealtimeTransferDestination>>,
): { ok: true; target: TransferTarget; summary: string; reason: string | undefined } | { ok: false; message: string } {
  const parsed = argumentsSchema.safeParse(args ?? {});
  const dest =
    parsed.success && Object.hasOwn(destinations, parsed.data.target) ? destinations[parsed.data.target] : undefined;
  if (!parsed.success || !dest) {
    return {
      ok: false,
      message: `target must be one of: ${Object.keys(destinations).join(', ')}; summary is required`,
    };
  }
  return { ok: true, target: transferTargetOf(dest), summary: parsed.data.summary, reason: parsed.data.reason };
}

/** Where a route's named transfer destination sends the call (blind and warm transfers alike). */
export function transferTargetOf(dest: RealtimeTransferDestination): TransferTarget {
  return 'endpoint' in dest
    ? { endpoint: dest.endpoint }
    : {
        context: dest.context,
        extension: dest.extension,
        ...(dest.priority !== undefined ? { priority: dest.priority } : {}),
      };
}
