import type { SimulatedAsterisk } from './ari/simulated-asterisk.js';
import type { RealtimeSimulator } from './realtime/realtime-simulator.js';

const ADD_HEADER = /^PJSIP_HEADER\(add,([^)]+)\)$/;

/** The SIP headers an originate's `PJSIP_HEADER(add,<name>)` channel variables put on the INVITE. */
export function sipHeadersOfVariables(variables: Readonly<Record<string, string>>): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [key, value] of Object.entries(variables)) {
    const m = ADD_HEADER.exec(key);
    if (m?.[1]) out.push({ name: m[1], value });
  }
  return out;
}

/**
 * Joins a simulated Asterisk to the simulated Realtime service as a PJSIP trunk would: a channel dialled to
 * `endpoint` (default `PJSIP/openai`) rings, reaches the service as an incoming SIP call (its webhook fires, with
 * the INVITE's headers), is answered when the call is accepted and hung up when it is rejected or hung up. No
 * SIP or SRTP is spoken; the signalling outcome is the real one.
 */
export function linkOpenAiSip(
  asterisk: Pick<SimulatedAsterisk<unknown>, 'setEndpointBehaviour' | 'channel'>,
  provider: Pick<RealtimeSimulator, 'sip'>,
  options: {
    /** Default `PJSIP/openai`. */
    readonly endpoint?: string;
    /** How long after the accept the SIP leg answers (its 200 OK). Default 0. */
    readonly answerDelayMs?: number;
  } = {},
): void {
  const endpoint = options.endpoint ?? 'PJSIP/openai';
  const delay = options.answerDelayMs ?? 0;
  asterisk.setEndpointBehaviour(endpoint, 'answer', {
    ringMs: 'manual',
    context: 'openai',
    onDial: ({ channelId, variables }) => {
      const headers = [
        { name: 'From', value: '<sip:asterisk@127.0.0.1>' },
        { name: 'To', value: '<sip:proj@sip.api.openai.com>' },
        ...sipHeadersOfVariables(variables),
      ];
      void provider.sip
        .incoming(headers, {
          answer: () => {
            setTimeout(() => asterisk.channel(channelId)?.answer(), delay);
          },
          end: () => void asterisk.channel(channelId)?.hangup(),
        })
        .catch(() => undefined);
    },
  });
}
