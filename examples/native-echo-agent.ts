/**
 * Example agent for the adapter's native WebSocket protocol (docs/agent-protocol.md).
 *
 *   npx tsx examples/native-echo-agent.ts --port 8081 --secret s3cret --mode echo
 *
 * Modes: `echo` sends the caller's audio straight back; `parrot` repeats what the caller said after they pause;
 * `burst` sends a one-second tone as one utterance when the call is answered; `speaker` talks (a paced tone) on
 * answer and after each pause, and stops when the caller barges in.
 *
 * Point a route at it (routes file, see README "Routes"), with the secret in the environment variable it names:
 *
 *   { "routes": [ { "name": "echo", "match": { "extension": "100" },
 *                   "agent": { "kind": "websocket", "url": "ws://127.0.0.1:8081/", "secretEnv": "ECHO_AGENT_SECRET",
 *                              "sampleRate": 16000 } } ] }
 *
 *   ECHO_AGENT_SECRET=s3cret ava serve
 *
 * With `--secret`, connections without a valid X-Ava-Signature are refused with HTTP 401. Events arriving are
 * printed one per line on stdout.
 */
import { parseArgs } from 'node:util';
import { type NativeEchoAgentMode, startNativeEchoAgent } from '../src/simulator/agents/native-echo-agent.js';

const MODES: readonly NativeEchoAgentMode[] = ['echo', 'parrot', 'burst', 'speaker'];

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    secret: { type: 'string' },
    mode: { type: 'string', default: 'echo' },
  },
});

const mode = values.mode as NativeEchoAgentMode;
if (!MODES.includes(mode)) {
  console.error(`--mode must be one of ${MODES.join(', ')}`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--port must be a TCP port number');
  process.exit(2);
}

const agent = await startNativeEchoAgent({
  mode,
  port,
  host: values.host,
  ...(values.secret === undefined ? {} : { secret: values.secret }),
  onEvent: (_session, event) => console.log(JSON.stringify(event)),
});
console.error(
  `native ${mode} agent listening on ${agent.url}${values.secret === undefined ? ' (no signature check)' : ''}`,
);

const stop = async (): Promise<void> => {
  await agent.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
