/**
 * Example agent for the Twilio Media Streams dialect, written the way the public Twilio + OpenAI Realtime samples
 * are: it keeps the streamSid from `start`, sends audio as `media` messages each followed by a `mark`, keeps a mark
 * queue, and on speech start sends `clear`. Agents built for Twilio work against the adapter unchanged.
 *
 *   npx tsx examples/twilio-agent.ts --port 8082 --mode echo
 *
 * Modes: `echo` returns the caller's audio; `play` plays a one-second tone when the stream starts. Press Enter to
 * simulate "speech started" on every open stream (sends `clear` while marks are outstanding).
 *
 * Point a route at it (routes file, see README "Routes"). Stasis calls match by extension or Stasis argument;
 * dialplan-direct AudioSocket calls match only by `audiosocketUuids`:
 *
 *   { "routes": [ { "name": "twilio-echo", "match": { "stasisArg": "twilio" },
 *                   "agent": { "kind": "twilio", "url": "ws://127.0.0.1:8082/", "secretEnv": "TWILIO_AGENT_SECRET" } } ] }
 *
 * With `--secret`, connections without the adapter's X-Ava-Signature are refused with HTTP 401.
 */
import { parseArgs } from 'node:util';
import { startTwilioDialectAgent, type TwilioDialectAgentMode } from '../src/simulator/agents/twilio-dialect-agent.js';

const MODES: readonly TwilioDialectAgentMode[] = ['echo', 'play'];

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8082' },
    host: { type: 'string', default: '127.0.0.1' },
    secret: { type: 'string' },
    mode: { type: 'string', default: 'echo' },
  },
});

const mode = values.mode as TwilioDialectAgentMode;
if (!MODES.includes(mode)) {
  console.error(`--mode must be one of ${MODES.join(', ')}`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--port must be a TCP port number');
  process.exit(2);
}

const agent = await startTwilioDialectAgent({
  mode,
  port,
  host: values.host,
  ...(values.secret === undefined ? {} : { secret: values.secret }),
  onMessage: (_session, message) => {
    if (message.event !== 'media') console.log(JSON.stringify(message));
  },
});
console.error(`Twilio-dialect ${mode} agent listening on ${agent.url}; press Enter to simulate speech started`);

process.stdin.on('data', () => {
  for (const session of agent.sessions) {
    if (session.closeInfo) continue;
    const result = session.speechStarted();
    console.log(JSON.stringify({ streamSid: session.streamSid, speechStarted: result }));
  }
});

const stop = async (): Promise<void> => {
  process.stdin.pause();
  await agent.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
