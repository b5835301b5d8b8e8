import { afterEach, describe, expect, it } from 'vitest';
import { pcmSamples } from '../../src/audio/format.js';
import { generateTone, rmsDbfs } from '../../src/audio/tone-analysis.js';
import { dialInNativeAgent } from '../../src/simulator/agents/dial-in-client.js';
import type { NativeAgentSession } from '../../src/simulator/agents/native-echo-agent.js';
import { type AriHarness, startAriHarness } from '../support/ari-harness.js';
import { toneWindowMatch, trimSilence } from '../support/audio-checks.js';
import { waitFor } from '../support/wait.js';

const AGENT_TOKEN = 'agent-token-0123456789';
const OPEN_TOKEN = 'open-agent-token-0123456789';
const CONTROL_TOKEN = 'control-token-0123456789';

const TOKENS = [
  { name: 'bot', scope: 'agent', token: AGENT_TOKEN, dialable: ['PJSIP/alice', 'PJSIP/busy*', 'PJSIP/away'] },
  // No dialable list of its own: only routes with one let it invite.
  { name: 'open-bot', scope: 'agent', token: OPEN_TOKEN },
  { name: 'ops', scope: 'control', token: CONTROL_TOKEN },
];

const ROUTES = {
  routes: [
    // Invites use the route's media settings; its agent is never dialled for them.
    { name: 'out', agent: { kind: 'echo' }, audioFormat: 'slin16' },
    { name: 'sales', agent: { kind: 'echo' }, audioFormat: 'slin16', dialable: ['PJSIP/sales-*'] },
  ],
};

/** What the callee heard: agent audio on the call's AudioSocket leg, silence trimmed. */
function calleeHeard(h: AriHarness, index = 0): Int16Array {
  const frames = h.media[index]!.received.filter((f) => f.kind === 0x12 && f.payload);
  return trimSilence(pcmSamples(Buffer.concat(frames.map((f) => f.payload!))));
}

/** ARI requests the adapter made, for "no originate happened" checks. */
function recordingFetch(log: string[]): typeof globalThis.fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    log.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    return globalThis.fetch(input, init);
  };
}

const originates = (log: readonly string[]) => log.filter((l) => l === 'POST /ari/channels');

describe('agents that dial in and place calls with invite (simulated Asterisk)', () => {
  let h: AriHarness | undefined;
  const sessions: NativeAgentSession[] = [];
  const ariRequests: string[] = [];
  afterEach(async () => {
    for (const s of sessions) s.sendText('{"command":"hangup"}');
    await h?.stop();
    h = undefined;
    sessions.length = 0;
    ariRequests.length = 0;
  });

  async function start(env: Record<string, string> = {}): Promise<{ url: string }> {
    h = await startAriHarness(
      { HTTP_ENABLED: 'true', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', API_TOKENS: JSON.stringify(TOKENS), ...env },
      { routesJson: ROUTES, fetch: recordingFetch(ariRequests) },
    );
    const address = h.app.http!.address!;
    return { url: `ws://127.0.0.1:${address.port}/v1/agents/ws` };
  }

  async function agent(
    url: string,
    invite: Record<string, unknown>,
    options: { audio?: Buffer; token?: string } = {},
  ): Promise<NativeAgentSession> {
    const s = await dialInNativeAgent(
      { url, bearer: options.token ?? AGENT_TOKEN, firstMessage: { command: 'invite', route: 'out', ...invite } },
      { mode: options.audio ? 'burst' : 'echo', sampleRate: 16000, ...(options.audio ? { audio: options.audio } : {}) },
    );
    sessions.push(s);
    return s;
  }

  it('an invited call is answered, both sides hear each other, and the agent hangs up', async () => {
    const { url } = await start();
    const calleeTone = generateTone({ rate: 16000, freq: 600, amplitude: 8000, ms: 3000 });
    h!.sim.setEndpointBehaviour('PJSIP/alice', 'answer', {
      ringMs: 100,
      audio: { type: 'samples', samples: calleeTone, loop: true },
    });
    const agentTone = generateTone({ rate: 16000, freq: 1000, amplitude: 8000, ms: 1500 });
    const s = await agent(
      url,
      { callee: 'PJSIP/alice', callerId: '"Support" <1000>', route: 'out', audio: { sampleRate: 16000 } },
      { audio: Buffer.from(agentTone.buffer, agentTone.byteOffset, agentTone.byteLength) },
    );
    const ringing = await s.waitForEvent('ringing');
    await s.waitForEvent('answer');
    expect(s.eventNames.slice(0, 2)).toEqual(['ringing', 'answer']);
    const session = h!.app.registry.get(ringing.callId)!;
    expect(session.info).toMatchObject({ direction: 'outbound', route: { name: 'out' } });
    expect(session.info.customParameters).toMatchObject({ invitedBy: 'bot' });
    // The agent hears the callee: 600 Hz at the callee's level, at the invite's 16 kHz.
    await s.waitForAudioBytes(16000 * 2 * 2, 10_000);
    const heard = trimSilence(pcmSamples(s.receivedAudio()));
    const a = toneWindowMatch(heard, 16000, 600, rmsDbfs(calleeTone));
    expect(a.windows).toBeGreaterThanOrEqual(10);
    expect(a.share).toBeGreaterThanOrEqual(0.9);
    // The callee hears the agent: its 1000 Hz utterance, level kept.
    await waitFor(() => h!.media.length === 1 && calleeHeard(h!).length > 16000, 10_000, 'callee hears the agent');
    const b = toneWindowMatch(calleeHeard(h!), 16000, 1000, rmsDbfs(agentTone));
    expect(b.windows).toBeGreaterThanOrEqual(8);
    expect(b.share).toBeGreaterThanOrEqual(0.9);
    // One socket, one call: a second invite is refused and changes nothing.
    s.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/alice' }));
    const refused = await s.waitForEvent('error', (e) => e.command === 'invite');
    expect(refused).toMatchObject({ code: 'invalid_state', callId: ringing.callId });
    expect(originates(ariRequests)).toHaveLength(1);
    // The agent hangs up: the callee's channel goes, the agent gets hangup and the socket closes.
    const callee = h!.sim.channel(session.info.channelId!)!;
    s.sendCommand({ command: 'hangup', reason: 'done' });
    await callee.ended;
    expect(await s.waitForEvent('hangup')).toMatchObject({ reason: 'agent_hangup', initiator: 'agent' });
    expect((await s.waitForClose()).code).toBe(1000);
    await waitFor(() => h!.app.registry.size === 0 && h!.sim.channels().length === 0, 10_000, 'nothing left');
  });

  it('with media workers, an invited call runs on a worker, the inviting socket handed over to it; both sides hear each other', async () => {
    const { url } = await start({ MEDIA_WORKERS: '2' });
    const calleeTone = generateTone({ rate: 16000, freq: 600, amplitude: 8000, ms: 3000 });
    h!.sim.setEndpointBehaviour('PJSIP/alice', 'answer', {
      ringMs: 100,
      audio: { type: 'samples', samples: calleeTone, loop: true },
    });
    const agentTone = generateTone({ rate: 16000, freq: 1000, amplitude: 8000, ms: 1500 });
    const s = await agent(
      url,
      { callee: 'PJSIP/alice', route: 'out', audio: { sampleRate: 16000 } },
      { audio: Buffer.from(agentTone.buffer, agentTone.byteOffset, agentTone.byteLength) },
    );
    const ringing = await s.waitForEvent('ringing');
    await s.waitForEvent('answer');
    expect(s.eventNames.slice(0, 2)).toEqual(['ringing', 'answer']);
    await waitFor(() => h!.app.mediaWorkers!.workerOf(ringing.callId) !== undefined, 20_000, 'the call on a worker');
    await s.waitForAudioBytes(16000 * 2 * 2, 20_000);
    const a = toneWindowMatch(trimSilence(pcmSamples(s.receivedAudio())), 16000, 600, rmsDbfs(calleeTone));
    expect(a.share).toBeGreaterThanOrEqual(0.9);
    await waitFor(() => h!.media.length === 1 && calleeHeard(h!).length > 16000, 20_000, 'callee hears the agent');
    expect(toneWindowMatch(calleeHeard(h!), 16000, 1000, rmsDbfs(agentTone)).share).toBeGreaterThanOrEqual(0.9);
    // The worker's agent answers on the same socket, as in one process.
    s.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/alice' }));
    expect(await s.waitForEvent('error', (e) => e.command === 'invite')).toMatchObject({
      code: 'invalid_state',
      callId: ringing.callId,
    });
    const callee = h!.sim.channel(h!.app.registry.get(ringing.callId)!.info.channelId!)!;
    s.sendCommand({ command: 'hangup', reason: 'done' });
    await callee.ended;
    expect(await s.waitForEvent('hangup')).toMatchObject({ reason: 'agent_hangup', initiator: 'agent' });
    expect((await s.waitForClose()).code).toBe(1000);
    await waitFor(() => h!.app.registry.size === 0 && h!.sim.channels().length === 0, 20_000, 'nothing left');
  }, 60_000);

  it('the callee hangs up: the agent gets hangup from the caller side', async () => {
    const { url } = await start();
    h!.sim.setEndpointBehaviour('PJSIP/alice', 'answer', { ringMs: 50 });
    const s = await agent(url, { callee: 'PJSIP/alice' });
    const ringing = await s.waitForEvent('ringing');
    await s.waitForEvent('answer');
    const channelId = h!.app.registry.get(ringing.callId)!.info.channelId!;
    await h!.sim.channel(channelId)!.hangup();
    expect(await s.waitForEvent('hangup')).toMatchObject({ initiator: 'caller', callId: ringing.callId, cause: 16 });
    expect((await s.waitForClose()).code).toBe(1000);
  });

  it('a busy callee gets reject with cause 17; the socket may invite again', async () => {
    const { url } = await start();
    h!.sim.setEndpointBehaviour('PJSIP/busy1', 'busy');
    h!.sim.setEndpointBehaviour('PJSIP/away', 'noanswer', { ringMs: 5000 });
    h!.sim.setEndpointBehaviour('PJSIP/alice', 'answer', { ringMs: 50 });
    const s = await agent(url, { callee: 'PJSIP/busy1' });
    const ringing = await s.waitForEvent('ringing');
    const reject = await s.waitForEvent('reject');
    expect(reject).toMatchObject({
      callId: ringing.callId,
      reason: 'busy',
      cause: 17,
      causeText: 'User busy',
    });
    expect(h!.app.registry.size).toBe(0);
    // No answer within the invite's timeout.
    s.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/away', route: 'out', timeout: 1 }));
    expect(await s.waitForEvent('reject', (e) => e.callId !== ringing.callId)).toMatchObject({
      reason: 'no_answer',
      cause: 19,
    });
    // Then a call that is answered, on the same socket.
    s.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/alice', route: 'out' }));
    await s.waitForEvent('answer');
    expect(s.eventNames.filter((n) => n === 'ringing')).toHaveLength(3);
  });

  it('hangup while ringing cancels the dial: the callee channel is hung up and never answered', async () => {
    const { url } = await start();
    h!.sim.setEndpointBehaviour('PJSIP/alice', 'answer', { ringMs: 'manual' });
    const s = await agent(url, { callee: 'PJSIP/alice' });
    await s.waitForEvent('ringing');
    await waitFor(() => h!.sim.channels().length === 1, 5000, 'callee ringing');
    s.sendCommand({ command: 'hangup' });
    expect(await s.waitForEvent('hangup')).toMatchObject({ reason: 'agent_hangup', initiator: 'agent' });
    await waitFor(() => h!.sim.channels().length === 0, 5000, 'callee channel hung up');
    expect(h!.app.registry.size).toBe(0);
    expect(ariRequests.some((r) => r.startsWith('DELETE /ari/channels/'))).toBe(true);
    // An agent that goes away while its callee rings: the dial is cancelled too.
    const gone = await agent(url, { callee: 'PJSIP/alice' });
    await gone.waitForEvent('ringing');
    await waitFor(() => h!.sim.channels().length === 1, 5000, 'callee ringing again');
    await gone.close();
    await waitFor(() => h!.sim.channels().length === 0, 5000, 'callee channel hung up after the agent left');
    expect(h!.app.registry.size).toBe(0);
  });

  it('shutdown while the callee rings: the dial is cancelled and the agent told, before the server closes', async () => {
    const { url } = await start();
    h!.sim.setEndpointBehaviour('PJSIP/alice', 'answer', { ringMs: 'manual' });
    const s = await agent(url, { callee: 'PJSIP/alice' });
    await s.waitForEvent('ringing');
    await waitFor(() => h!.sim.channels().length === 1, 5000, 'callee ringing');
    await h!.app.stop(2000);
    expect(await s.waitForEvent('hangup')).toMatchObject({ reason: 'shutdown', initiator: 'system' });
    expect((await s.waitForClose()).code).toBe(1001);
    await waitFor(() => h!.sim.channels().length === 0, 5000, 'callee channel hung up');
  });

  it('security: destinations no dialable list allows are refused before any ARI request', async () => {
    const { url } = await start();
    h!.sim.setEndpointBehaviour('PJSIP/bob', 'answer', { ringMs: 50 });
    h!.sim.setEndpointBehaviour('PJSIP/sales-1', 'answer', { ringMs: 50 });
    const before = originates(ariRequests).length;
    // Not in the token's list.
    const s = await agent(url, { callee: 'PJSIP/bob' });
    expect(await s.waitForEvent('error')).toMatchObject({
      code: 'destination_not_allowed',
      command: 'invite',
      callId: 'none',
    });
    // Two channels in one dial string: refused by the callee's shape, naming the field.
    s.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/alice&PJSIP/bob' }));
    const bad = await s.waitForEvent('error', (e) => e.code === 'invalid_command');
    expect(bad.message).toContain('invite: callee');
    // A token without a list, on a route without one: invites are off.
    const open = await agent(url, { callee: 'PJSIP/alice' }, { token: OPEN_TOKEN });
    expect(await open.waitForEvent('error')).toMatchObject({ code: 'destination_not_allowed' });
    // The route's list, but the callee is not in it.
    open.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/bob', route: 'sales' }));
    await open.waitForEvent('error', (e) => e.message.includes("route's dialable list"));
    await new Promise((r) => setTimeout(r, 200));
    expect(originates(ariRequests).length).toBe(before);
    expect(h!.sim.channels()).toHaveLength(0);
    // The route's list allows this one (the token names none).
    open.sendText(JSON.stringify({ command: 'invite', callee: 'PJSIP/sales-1', route: 'sales' }));
    await open.waitForEvent('answer');
    expect(originates(ariRequests).length).toBe(before + 1);
    // Both sockets stayed usable through their refusals.
    expect(s.closeInfo).toBeUndefined();
  });

  it('security: a control-scope token cannot connect in to invite', async () => {
    const { url } = await start();
    await expect(dialInNativeAgent({ url, bearer: CONTROL_TOKEN }, { mode: 'echo' })).rejects.toThrow(/HTTP 403/);
    await expect(dialInNativeAgent({ url }, { mode: 'echo' })).rejects.toThrow(/HTTP 401/);
    expect(originates(ariRequests)).toHaveLength(0);
  });
});
