import { afterEach, describe, expect, it } from 'vitest';
import { generateTone } from '../../../src/audio/tone-analysis.js';
import { type NativeEchoAgent, startNativeEchoAgent } from '../../../src/simulator/agents/native-echo-agent.js';
import { type RealtimeSimulator, startRealtimeSimulator } from '../../../src/simulator/realtime/realtime-simulator.js';
import { HttpReceiver } from '../../fakes/jobs-http-receiver.js';
import { ARI_PASSWORD, ARI_USER, type AriHarness, startAriHarness } from '../../support/ari-harness.js';
import { waitFor } from '../../support/wait.js';
import { createTempDatabase, type TempDatabase } from '../db/temp-database.js';
import { cleanRedis, randomPrefix, REDIS_URL } from '../jobs/job-test-env.js';

const AGENT_SECRET = 'agent-secret-Zq9vX2LmN4pR';
const WEBHOOK_SECRET = 'whsec-Kp3sT8uVw1yA6bCd';
const OPENAI_KEY = 'sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUv';

/** Every form a secret could leak in: as is, Basic-auth base64, and base64 of the secret alone. */
function forms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(`${ARI_USER}:${secret}`).toString('base64')];
}

describe('tokens and secrets never reach the logs', () => {
  let h: AriHarness | undefined;
  let agent: NativeEchoAgent | undefined;
  let realtime: RealtimeSimulator | undefined;
  let receiver: HttpReceiver | undefined;
  let tmp: TempDatabase | undefined;
  let prefix = '';
  afterEach(async () => {
    await h?.stop();
    await agent?.close();
    await realtime?.close();
    await receiver?.close();
    await tmp?.drop();
    if (prefix) await cleanRedis(REDIS_URL, prefix);
    h = agent = realtime = receiver = tmp = undefined;
  });

  async function setup(failing: boolean): Promise<AriHarness> {
    // Failing: the agent and the Realtime server expect other credentials and the webhook receiver refuses, so
    // the error paths (handshake 401s, auth error events, retried deliveries) are logged too.
    agent = await startNativeEchoAgent({
      mode: 'echo',
      secret: failing ? 'another-agent-secret' : AGENT_SECRET,
      maxRecordedAudioBytes: 0,
    });
    realtime = await startRealtimeSimulator({
      apiKey: failing ? 'sk-another-key' : OPENAI_KEY,
      authFailure: 'http',
      record: false,
    });
    receiver = await HttpReceiver.start(WEBHOOK_SECRET, () => (failing ? { status: 401 } : { status: 200 }));
    tmp = await createTempDatabase({ migrate: false });
    prefix = randomPrefix();
    h = await startAriHarness(
      {
        LOG_LEVEL: 'trace',
        AGENT_SECRET,
        WEBHOOK_SECRET,
        OPENAI_API_KEY: OPENAI_KEY,
        MYSQL_URL: tmp.url,
        REDIS_URL,
        JOBS_PREFIX: prefix,
        INSTANCE_ID: `test-${prefix}`,
      },
      {
        routesJson: {
          routes: [
            {
              name: 'native',
              match: { extension: '100' },
              agent: {
                kind: 'websocket',
                url: agent.url,
                secretEnv: 'AGENT_SECRET',
                reconnect: { attempts: 1, initialMs: 10, maxMs: 20 },
              },
              webhooks: [{ url: receiver.url('/hook'), secretEnv: 'WEBHOOK_SECRET' }],
            },
            {
              name: 'realtime',
              match: { extension: '200' },
              agent: { kind: 'openai-realtime', url: realtime.url, secretEnv: 'OPENAI_API_KEY' },
            },
          ],
        },
      },
    );
    h.logs.logger.level = 'trace';
    return h;
  }

  function leaksIn(lines: readonly string[]): string[] {
    const leaks: string[] = [];
    for (const [name, secret] of [
      ['ARI_PASSWORD', ARI_PASSWORD],
      ['AGENT_SECRET', AGENT_SECRET],
      ['WEBHOOK_SECRET', WEBHOOK_SECRET],
      ['OPENAI_API_KEY', OPENAI_KEY],
    ] as const) {
      for (const form of forms(secret)) {
        for (const line of lines) if (line.includes(form)) leaks.push(`${name} in: ${line.slice(0, 300)}`);
      }
    }
    return leaks;
  }

  it('a native call with a signed webhook and an OpenAI Realtime call, logged at trace: no secret in any line', async () => {
    h = await setup(false);
    const tone = generateTone({ rate: 8000, freq: 500, amplitude: 6000, ms: 1500 });
    const native = await h.sim.placeInboundCall({ extension: '100', audio: { type: 'samples', samples: tone } });
    const rt = await h.sim.placeInboundCall({ extension: '200', audio: { type: 'samples', samples: tone } });
    const session = await agent!.waitForSession(0);
    await session.waitForEvent('answer');
    await realtime!.waitForSession(0);
    await waitFor(() => h!.media.length === 2 && h!.media.every((m) => m.framesReceived > 50), 15_000, 'media');
    await native.hangup();
    await rt.hangup();
    await waitFor(() => h!.app.registry.size === 0, 15_000, 'calls ended');
    // The webhook was delivered, signed with the secret (so the secret was in use), for the ended call.
    await receiver!.waitFor((reqs) => reqs.some((r) => (r.json as { type?: string })?.type === 'call.ended'));
    expect(receiver!.requests.every((r) => r.signature.valid)).toBe(true);

    expect(h.logs.raw.length).toBeGreaterThan(20);
    expect(leaksIn(h.logs.raw)).toEqual([]);
  }, 60_000);

  it('the error paths (refused agent and Realtime handshakes, refused webhooks) log no secret either', async () => {
    h = await setup(true);
    const native = await h.sim.placeInboundCall({ extension: '100' });
    const rt = await h.sim.placeInboundCall({ extension: '200' });
    await agent!.waitForRejectedHandshake(1);
    await native.ended;
    await rt.ended;
    await waitFor(() => h!.app.registry.size === 0, 15_000, 'calls ended');
    await receiver!.waitFor((reqs) => reqs.length >= 2);
    expect(receiver!.requests.every((r) => r.signature.valid)).toBe(true);
    expect(h.logs.raw.some((l) => /"level":(40|50)/.test(l))).toBe(true);
    expect(leaksIn(h.logs.raw)).toEqual([]);
  }, 60_000);
});
