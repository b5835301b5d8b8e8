import type { Route } from '../../config/routes.js';
import { mediaKindOf } from '../media-path.js';

/**
 * Why a route cannot run on media workers, or undefined when it can. Workers carry AudioSocket, chan_websocket (both
 * modes) and RTP media, answering-machine detection, and every agent kind but injected ones: echo, native and
 * Pipecat websocket, twilio and OpenAI Realtime (tool calls and transcripts go to the primary's job layer and
 * transcript store through the channel), and the agents that connect in at the primary's HTTP server, dial-in and
 * WebRTC (the primary pairs the connection with the call and hands it to the call's worker).
 */
export function mediaWorkerRefusal(route: Route, _chanWebSocketClient = false): string | undefined {
  // No media in the adapter (Asterisk bridges the caller to the provider over SIP): nothing to place on a worker;
  // the sideband (control only) runs with the call's session in the primary, where the webhook and tools are.
  if (route.agent.kind === 'openai-sip') return undefined;
  const media = mediaKindOf(route);
  if (media !== 'audiosocket' && media !== 'websocket' && media !== 'rtp')
    return `media "${media}" is not carried by media workers yet (audiosocket, websocket and rtp are)`;
  return undefined;
}
