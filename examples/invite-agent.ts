/**
 * Example agent that dials in and places a call (docs/agent-protocol.md, "Placing calls with `invite`"): it connects
 * to the adapter's /v1/agents/ws with an `agent`-scope API token, sends `invite`, prints `ringing`, `answer` or
 * `reject` (with the Q.850 cause), then serves the call with the native protocol: it echoes what the callee says
 * (`--mode echo`) or talks (`--mode speaker`: a tone on answer and after each pause, cut when the callee barges in).
 *
 *   AVA_AGENT_TOKEN=<token> npx tsx examples/invite-agent.ts --adapter ws://127.0.0.1:8080 \
 *     --callee PJSIP/alice --route out --caller-id '"Support" <1000>' --mode speaker
 *
 * On the adapter's side the token has scope `agent` and a `dialable` list that allows the callee (or the route has
 * one; without any list invites are refused), and the route names the media settings of the call:
 *
 *   API_TOKENS='[{"name":"bot","scope":"agent","token":"<token>","dialable":["PJSIP/alice","PJSIP/+4930*@trunk"]}]'
 *   { "routes": [ { "name": "out", "agent": { "kind": "echo" }, "audioFormat": "slin16" } ] }
 *
 * To claim waiting calls of a `dial-in` route instead, see examples/dial-in-agent.ts. Events are printed one per line
 * on stdout; the process exits 0 after the call's `hangup`, 1 when the call was rejected or the invite refused.
 */
import { parseArgs } from 'node:util';
import type { AgentSampleRate } from '../src/protocols/agent/index.js';
import { dialInNativeAgent } from '../src/simulator/agents/dial-in-client.js';

const MODES = ['echo', 'speaker'] as const;
type Mode = (typeof MODES)[number];

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'ws://127.0.0.1:8080' },
    callee: { type: 'string' },
    route: { type: 'string' },
    'caller-id': { type: 'string' },
    timeout: { type: 'string' },
    'sample-rate': { type: 'string', default: '16000' },
    mode: { type: 'string', default: 'echo' },
  },
});

const token = process.env['AVA_AGENT_TOKEN'];
const mode = values.mode as Mode;
const sampleRate = Number(values['sample-rate']) as AgentSampleRate;
if (!token || !values.callee || !MODES.includes(mode) || ![8000, 16000, 24000].includes(sampleRate)) {
  console.error(
    'usage: AVA_AGENT_TOKEN=<agent token> npx tsx examples/invite-agent.ts --callee PJSIP/alice ' +
      '[--adapter ws://127.0.0.1:8080] [--route out] [--caller-id \'"Support" <1000>\'] [--timeout 30] ' +
      `[--sample-rate 8000|16000|24000] [--mode ${MODES.join('|')}]`,
  );
  process.exit(2);
}

const invite = {
  command: 'invite',
  callee: values.callee,
  ...(values.route ? { route: values.route } : {}),
  ...(values['caller-id'] ? { callerId: values['caller-id'] } : {}),
  ...(values.timeout ? { timeout: Number(values.timeout) } : {}),
  audio: { sampleRate },
};

const url = new URL('/v1/agents/ws', values.adapter).toString();
const session = await dialInNativeAgent(
  { url, bearer: token, firstMessage: invite },
  {
    mode,
    sampleRate,
    onEvent: (_s, event) => {
      console.log(JSON.stringify(event));
      // A refused or unanswered invite: this example gives up (the socket could invite again).
      if (event.event === 'reject' || (event.event === 'error' && event.command === 'invite')) process.exit(1);
    },
  },
);
console.error(`connected to ${url}; inviting ${values.callee}`);
process.once('SIGINT', () => {
  // Hangs up the call (or cancels the dial); the adapter answers with hangup and closes the socket.
  session.sendText('{"command":"hangup","reason":"stopped"}');
});
const closed = await session.waitForClose(24 * 3600_000);
console.error(`connection closed (${closed.code} ${closed.reason})`);
process.exit(0);
