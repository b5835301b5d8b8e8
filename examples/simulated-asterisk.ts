/**
 * A simulated Asterisk 22 to try the adapter without a PBX (the one the tests and `ava demo` use): ARI on
 * http://127.0.0.1:<port>/ari, AudioSocket media legs dialled to the adapter, and endpoints to place calls to:
 *
 *   PJSIP/alice   answers after 1 s and says a 440 Hz tone, on and off (so barge-in can be heard in the events)
 *   PJSIP/busy    busy (Q.850 cause 17)
 *   PJSIP/away    rings until the originate's timeout (cause 19, no answer)
 *
 *   npx tsx examples/simulated-asterisk.ts --port 8088
 *
 * Then run the adapter against it (user `adapter`, password `sim-password`), e.g. for examples/invite-agent.ts:
 *
 *   ARI_URL=http://127.0.0.1:8088 ARI_USERNAME=adapter ARI_PASSWORD=sim-password \
 *   API_TOKENS='[{"name":"bot","scope":"agent","token":"bot-token-0123456789","dialable":["PJSIP/*"]}]' \
 *   DEFAULT_AGENT=echo VAD=off npx tsx src/cli/main.ts serve
 *
 * Stop it with Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { generateTone } from '../src/audio/tone-analysis.js';
import { audioSocketDialerLink } from '../src/simulator/ari/audiosocket-dialer-link.js';
import { startSimulatedAsterisk } from '../src/simulator/ari/simulated-asterisk.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8088' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('--port must be a TCP port number');
  process.exit(2);
}

const sim = await startSimulatedAsterisk({
  username: 'adapter',
  password: 'sim-password',
  port,
  audioSocket: { dial: audioSocketDialerLink({ record: false }) },
});
// 1.5 s of tone, 1.5 s of silence; samples play at the leg's rate (440 Hz on slin16 legs, 220 Hz on slin).
const tone = generateTone({ rate: 16000, freq: 440, amplitude: 6000, ms: 1500 });
const talk = new Int16Array(tone.length * 2);
talk.set(tone);
sim.setEndpointBehaviour('PJSIP/alice', 'answer', {
  ringMs: 1000,
  audio: { type: 'samples', samples: talk, loop: true },
});
sim.setEndpointBehaviour('PJSIP/busy', 'busy');
sim.setEndpointBehaviour('PJSIP/away', 'noanswer');
console.error(`simulated Asterisk: ARI at ${sim.url}/ari (adapter / sim-password); endpoints PJSIP/alice, busy, away`);

const stop = async (): Promise<void> => {
  await sim.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
