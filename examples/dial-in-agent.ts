/**
 * Example agent that dials in (docs/agent-protocol.md, "Agents that dial in"): it connects to the adapter's
 * /v1/agents/ws with an `agent`-scope API token, claims the next call of a `dial-in` route, serves it with the
 * native protocol, and connects again for the next call.
 *
 *   npx tsx examples/dial-in-agent.ts --adapter ws://127.0.0.1:8080 --route desk --mode echo
 *
 * with the token in AVA_AGENT_TOKEN (never on the command line), and on the adapter's side:
 *
 *   API_TOKENS=desk:agent:<token>
 *   { "routes": [ { "name": "desk", "match": { "stasisArg": "desk" },
 *                   "agent": { "kind": "dial-in", "dialect": "native", "waitMs": 30000 } } ] }
 *
 * Modes as examples/native-echo-agent.ts: `echo`, `parrot`, `burst`, `speaker`. Events are printed one per line.
 */
import { parseArgs } from 'node:util';
import { dialInNativeAgent } from '../src/simulator/agents/dial-in-client.js';
import type { NativeEchoAgentMode } from '../src/simulator/agents/native-echo-agent.js';

const MODES: readonly NativeEchoAgentMode[] = ['echo', 'parrot', 'burst', 'speaker'];

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'ws://127.0.0.1:8080' },
    route: { type: 'string' },
    mode: { type: 'string', default: 'echo' },
  },
});
const mode = values.mode as NativeEchoAgentMode;
const token = process.env['AVA_AGENT_TOKEN'];
if (!MODES.includes(mode) || !token) {
  console.error(`set AVA_AGENT_TOKEN (an agent-scope API token); --mode must be one of ${MODES.join(', ')}`);
  process.exit(2);
}
const url = new URL('/v1/agents/ws', values.adapter);
let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  process.exit(0);
});

while (!stopping) {
  const session = await dialInNativeAgent(
    {
      url: url.toString(),
      bearer: token,
      firstMessage: { command: 'claim', ...(values.route ? { route: values.route } : {}) },
    },
    { mode, onEvent: (_s, event) => console.log(JSON.stringify(event)) },
  );
  console.error(`connected to ${url}; waiting for a call${values.route ? ` of route ${values.route}` : ''}`);
  const closed = await session.waitForClose(24 * 3600_000).catch(() => undefined);
  console.error(`connection closed${closed ? ` (${closed.code} ${closed.reason})` : ''}`);
  if (closed && closed.code >= 4400 && closed.code < 4500) process.exit(1);
}
