import type { Route } from '../../config/routes.js';
import { mediaKindOf } from '../media-path.js';

/**
 * Why a route cannot run on media workers yet, or undefined when it can. Workers carry AudioSocket and chan_websocket
 * media and the agents that need nothing of the primary but the channel: echo, native and Pipecat websocket, twilio
 * and OpenAI Realtime (tool calls and transcripts go to the primary's job layer and transcript store through the
 * channel). RTP media is (each worker binds its own share of the RTP ports). WebRTC and dial-in agents (the HTTP
 * server) are not carried by workers yet. chan_websocket is, in both modes: in server mode the worker connects to
 * Asterisk itself; in client mode the primary's media listener hands Asterisk's connection to the worker before its
 * handshake. So is answering-machine detection (it runs on the worker, with the call's audio).
 */
export function mediaWorkerRefusal(route: Route, _chanWebSocketClient = false): string | undefined {
  // No media in the adapter (Asterisk bridges the caller to the provider over SIP): nothing to place on a worker;
  // the sideband (control only) runs with the call's session in the primary, where the webhook and tools are.
  if (route.agent.kind === 'openai-sip') return undefined;
  const media = mediaKindOf(route);
  if (media !== 'audiosocket' && media !== 'websocket' && media !== 'rtp')
    return `media "${media}" is not carried by media workers yet (audiosocket, websocket and rtp are)`;
  const agent = route.agent;
  if (agent.kind === 'echo' || agent.kind === 'twilio' || agent.kind === 'openai-realtime') return undefined;
  if (agent.kind === 'websocket' && (agent.dialect === 'native' || agent.dialect === 'pipecat')) return undefined;
  const kind = agent.kind === 'websocket' ? `websocket (${agent.dialect})` : agent.kind;
  return `agent kind ${kind} does not run on media workers yet (echo, websocket native and pipecat, twilio and openai-realtime do)`;
}
