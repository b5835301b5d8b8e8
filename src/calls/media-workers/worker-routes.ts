import type { Route } from '../../config/routes.js';
import { mediaKindOf } from '../media-path.js';

/**
 * Why a route cannot run on media workers yet, or undefined when it can. Workers carry AudioSocket and chan_websocket
 * media and the agents that need nothing of the primary but the channel: echo, native and Pipecat websocket, twilio
 * and OpenAI Realtime (tool calls and transcripts go to the primary's job layer and transcript store through the
 * channel). RTP media is (each worker binds its own share of the RTP ports). WebRTC and dial-in agents (the HTTP
 * server), chan_websocket media in client mode (Asterisk
 * connecting to us), and answering-machine detection, are not carried by workers yet. chan_websocket in server mode
 * is: the worker connects to Asterisk itself.
 */
export function mediaWorkerRefusal(route: Route, chanWebSocketClient = false): string | undefined {
  const media = mediaKindOf(route);
  if (media === 'websocket' && chanWebSocketClient)
    return 'media "websocket" with CHAN_WEBSOCKET_CONNECTION=client is not carried by media workers yet (server is)';
  if (media !== 'audiosocket' && media !== 'websocket' && media !== 'rtp')
    return `media "${media}" is not carried by media workers yet (audiosocket, websocket and rtp are)`;
  if (route.amd) return 'answering-machine detection (amd) does not run on media workers yet';
  const agent = route.agent;
  if (agent.kind === 'echo' || agent.kind === 'twilio' || agent.kind === 'openai-realtime') return undefined;
  if (agent.kind === 'websocket' && (agent.dialect === 'native' || agent.dialect === 'pipecat')) return undefined;
  const kind = agent.kind === 'websocket' ? `websocket (${agent.dialect})` : agent.kind;
  return `agent kind ${kind} does not run on media workers yet (echo, websocket native and pipecat, twilio and openai-realtime do)`;
}
