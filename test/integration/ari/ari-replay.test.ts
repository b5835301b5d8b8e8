/**
 * Replays the REST calls a controller made against a real Asterisk 22.10.1 (test/fixtures/asterisk-22.10) against
 * the simulated Asterisk, with the same outside stimuli (caller dials in, presses keys, hangs up; the AudioSocket
 * server closes), and checks that status codes, bodies and the sequence of events equal the recorded ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AudioSocketDial, AudioSocketLeg, SimulatedAsterisk } from '../../../src/simulator/ari/index.js';
import type { AriEventStream } from '../../../src/transports/ari/index.js';
import { recordedEvents, recordedRest, type RecordedRest } from '../../unit/ari/fixture-files.js';
import { connectedStream, type EventCollector, PASSWORD, startSim, USER } from './ari-harness.js';

const ID_PATTERNS = [
  /\b\d{9,11}\.\d+\b/g,
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
  /PJSIP\/\w+-[0-9a-f]{8}/g,
];

/** Recorded ⇄ simulated identifiers (channel ids, bridge ids, channel names). */
class IdMap {
  readonly toSim = new Map<string, string>();
  readonly toRecorded = new Map<string, string>();

  add(recorded: string, simulated: string): void {
    this.toSim.set(recorded, simulated);
    this.toRecorded.set(simulated, recorded);
  }

  static translate(text: string, map: ReadonlyMap<string, string>): string {
    let out = text;
    for (const re of ID_PATTERNS) out = out.replace(re, (m) => map.get(m) ?? m);
    return out;
  }

  recordedView<T>(value: T): T {
    return JSON.parse(IdMap.translate(JSON.stringify(value), this.toRecorded)) as T;
  }

  /** Learns ids and names from a recorded body and the simulator's body for the same request. */
  learn(recorded: unknown, simulated: unknown): void {
    if (Array.isArray(recorded) && Array.isArray(simulated)) {
      for (const [i, r] of recorded.entries()) this.learn(r, simulated[i]);
      return;
    }
    if (typeof recorded !== 'object' || recorded === null || typeof simulated !== 'object' || simulated === null)
      return;
    const r = recorded as Record<string, unknown>;
    const s = simulated as Record<string, unknown>;
    if (typeof r['id'] === 'string' && typeof s['id'] === 'string') this.add(r['id'], s['id']);
    if (typeof r['name'] === 'string' && typeof s['name'] === 'string' && r['name'].startsWith('PJSIP/')) {
      this.add(r['name'], s['name']);
    }
  }
}

type Json = Record<string, unknown>;

/** The parts of an event that must match: type, channel, state and the event's own fields. */
function projectEvent(event: Json): Json {
  const ch = (event['channel'] ?? event['peer']) as Json | undefined;
  const out: Json = { type: event['type'] };
  if (ch) {
    out['ch'] = ch['id'];
    out['name'] = ch['name'];
    out['state'] = ch['state'];
  }
  const bridge = event['bridge'] as Json | undefined;
  if (bridge) {
    out['bridge'] = bridge['id'];
    out['bridgeChannels'] = bridge['channels'];
  }
  switch (event['type']) {
    case 'StasisStart':
      out['args'] = event['args'];
      out['dialplan'] = ch?.['dialplan'];
      break;
    case 'ChannelVarset': {
      const variable = String(event['variable']);
      const value = String(event['value']);
      out['variable'] = variable;
      out['value'] = variable.startsWith('RTPAUDIOQOS')
        ? '<qos>'
        : variable === 'BRIDGEPVTCALLID' && value !== ''
          ? '<call-id>'
          : value;
      out['dialplanApp'] = (ch?.['dialplan'] as Json | undefined)?.['app_name'];
      break;
    }
    case 'ChannelHangupRequest':
      out['cause'] = event['cause'] ?? null;
      out['soft'] = event['soft'] ?? null;
      break;
    case 'ChannelDestroyed':
      out['cause'] = event['cause'];
      out['cause_txt'] = event['cause_txt'];
      out['dialplanApp'] = (ch?.['dialplan'] as Json | undefined)?.['app_name'];
      break;
    case 'ChannelDtmfReceived':
      out['digit'] = event['digit'];
      out['duration_ms'] = event['duration_ms'];
      break;
    case 'Dial':
      out['dialstatus'] = event['dialstatus'];
      out['dialstring'] = event['dialstring'];
      break;
    case 'ChannelConnectedLine':
      out['connected'] = ch?.['connected'];
      break;
  }
  return out;
}

/** A response body without what legitimately differs between runs (times, SIP Call-IDs). */
function projectBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(projectBody);
  if (typeof body !== 'object' || body === null) return body;
  const out: Json = { ...(body as Json) };
  delete out['creationtime'];
  if (typeof out['protocol_id'] === 'string') out['protocol_id'] = out['protocol_id'] !== '';
  return out;
}

/** A fake AudioSocket peer: 9093 accepts (the test decides when the server closes), anything else is refused. */
class FakeAudioSocketServer {
  readonly legs: Array<AudioSocketLeg & { serverClose(): void; hungUp: boolean; uuid: string }> = [];
  readonly dial: AudioSocketDial = async (req) => {
    if (req.port !== 9093) throw new Error('connect ECONNREFUSED');
    let close!: () => void;
    const closed = new Promise<void>((resolve) => {
      close = resolve;
    });
    const leg = {
      uuid: req.uuid,
      hungUp: false,
      closed,
      hangup: () => {
        leg.hungUp = true;
        close();
      },
      serverClose: () => close(),
    };
    this.legs.push(leg);
    return leg;
  };
}

interface Replay {
  readonly sim: SimulatedAsterisk;
  readonly ids: IdMap;
  readonly audio: FakeAudioSocketServer;
  readonly collectors: EventCollector[];
  readonly streams: AriEventStream[];
  readonly rest: RecordedRest[];
  readonly scenario: string;
}

async function setup(scenario: string): Promise<Replay> {
  const audio = new FakeAudioSocketServer();
  const sim = await startSim({ audioSocket: { dial: audio.dial } });
  const { stream, events } = await connectedStream(sim);
  return {
    sim,
    ids: new IdMap(),
    audio,
    collectors: [events],
    streams: [stream],
    rest: recordedRest(scenario),
    scenario,
  };
}

async function teardown(r: Replay | undefined): Promise<void> {
  if (!r) return;
  for (const s of r.streams) await s.close();
  await r.sim.close();
}

function basic(password: string): string {
  return `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;
}

/** Sends recorded REST call `index` (ids translated) and checks status and body. */
async function rest(r: Replay, index: number): Promise<void> {
  const rec = r.rest[index];
  if (!rec) throw new Error(`${r.scenario}: no REST line ${index}`);
  const wrong = (rec.request_headers['Authorization'] ?? '').includes('wrong-password');
  const response = await fetch(`${r.sim.url}${IdMap.translate(rec.path, r.ids.toSim)}`, {
    method: rec.method,
    headers: { Authorization: basic(wrong ? 'wrong-password' : PASSWORD) },
  });
  const text = await response.text();
  const body: unknown = text === '' ? null : JSON.parse(text);
  const what = `${r.scenario} ${rec.label}: ${rec.method} ${rec.path}`;
  expect(response.status, what).toBe(rec.status);
  if (rec.status < 300) r.ids.learn(rec.response_body, body);
  expect(projectBody(r.ids.recordedView(body)), what).toEqual(projectBody(rec.response_body));
}

/** The recorded caller (first StasisStart, or the given id) dials in. */
async function placeCall(r: Replay, recordedId: string, enterStasis = true) {
  const call = await r.sim.placeInboundCall({ caller: 'caller', extension: enterStasis ? '100' : '300', enterStasis });
  r.ids.add(recordedId, call.id);
  const recordedName = restChannelName(r, recordedId) ?? eventChannelName(r.scenario, recordedId);
  if (recordedName) r.ids.add(recordedName, call.name);
  return call;
}

function eventChannelName(scenario: string, id: string): string | undefined {
  for (const rec of recordedEvents(scenario)) {
    const ch = (rec.event['channel'] ?? rec.event['peer']) as Json | undefined;
    if (ch?.['id'] === id) return String(ch['name']);
  }
  return undefined;
}

function restChannelName(r: Replay, id: string): string | undefined {
  for (const rec of r.rest) {
    const list = Array.isArray(rec.response_body) ? rec.response_body : [rec.response_body];
    for (const item of list as Json[]) if (item && item['id'] === id) return String(item['name']);
  }
  return undefined;
}

function restRange(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function expectRecordedEvents(r: Replay, conns: readonly number[] = [1]): Promise<void> {
  const last = r.collectors.at(-1);
  const earlier = r.collectors.slice(0, -1).reduce((n, c) => n + c.events.length, 0);
  await last?.until((events) => (earlier + events.length >= r.sim.eventsDelivered() ? true : undefined), 'events');
  const got = r.collectors.flatMap((c) => c.events).map((e) => projectEvent(r.ids.recordedView(e as unknown as Json)));
  const want = recordedEvents(r.scenario)
    .filter((e) => conns.includes(e.conn))
    .map((e) => projectEvent(e.event));
  expect(got.map((e) => e['type'])).toEqual(want.map((e) => e['type']));
  expect(got).toEqual(want);
  // The JSON as sent has Asterisk's key order (top level and channel snapshot).
  const keyOrder = (e: Json) => [Object.keys(e), Object.keys((e['channel'] ?? e['peer'] ?? {}) as Json)];
  const sent = r.sim
    .eventLog()
    .filter((d) => d.delivered)
    .map((d) => keyOrder(d.event as unknown as Json));
  const recorded = recordedEvents(r.scenario)
    .filter((e) => conns.includes(e.conn))
    .map((e) => keyOrder(e.event));
  expect(sent).toEqual(recorded);
}

function lastExtLeg(r: Replay) {
  const leg = r.audio.legs.at(-1);
  if (!leg) throw new Error('no AudioSocket connection was made');
  return leg;
}

describe('replay of recorded Asterisk 22.10 scenarios against the simulated Asterisk', () => {
  let r: Replay | undefined;
  afterEach(async () => {
    await teardown(r);
    r = undefined;
  });

  it('01 inbound call, bridge, externalMedia AudioSocket, caller BYE, controller cleanup', async () => {
    r = await setup('01-inbound-audiosocket-slin');
    const call = await placeCall(r, '1795331304.0');
    for (const i of [0, 1, 2]) await rest(r, i);
    expect(lastExtLeg(r).uuid).toBe('325d3c93-534b-4733-a05b-94d368bcfcaf');
    await call.hangup();
    for (const i of [3, 4]) await rest(r, i);
    expect(lastExtLeg(r).hungUp).toBe(true);
    await expectRecordedEvents(r);
    expect(r.sim.channels()).toEqual([]);
    expect(r.sim.bridges()).toEqual([]);
  });

  it('03 caller DTMF 1, 5, # gives ChannelDtmfReceived with the recorded durations', async () => {
    r = await setup('03-dtmf');
    const call = await placeCall(r, '1795331324.6');
    for (const i of [0, 1, 2]) await rest(r, i);
    call.sendDtmf('1', 160);
    call.sendDtmf('5', 160);
    call.sendDtmf('#', 240);
    await call.hangup();
    for (const i of [3, 4]) await rest(r, i);
    await expectRecordedEvents(r);
  });

  it('04 the AudioSocket server hangs up: the ext channel ends without ChannelHangupRequest, the caller stays', async () => {
    r = await setup('04-server-hangup');
    await placeCall(r, '1795331339.10');
    for (const i of [0, 1, 2]) await rest(r, i);
    lastExtLeg(r).serverClose();
    await r.collectors[0]?.next('ChannelDestroyed');
    for (const i of restRange(3, 7)) await rest(r, i);
    await expectRecordedEvents(r);
  });

  it('05 controller hangs up the caller, then the ext channel and the bridge', async () => {
    r = await setup('05-controller-hangup');
    await placeCall(r, '1795331352.14');
    for (const i of restRange(0, 5)) await rest(r, i);
    await expectRecordedEvents(r);
    expect(r.sim.channels()).toEqual([]);
  });

  it('06 originate: ringing, answer, StasisStart with args, controller hangup with ChannelDestroyed', async () => {
    r = await setup('06-originate');
    r.sim.setEndpointBehaviour('PJSIP/trunk', 'answer', { ringMs: 'manual' });
    for (const i of [0, 1, 2]) await rest(r, i);
    const channelId = r.ids.toSim.get('1795331358.16');
    expect(channelId).toBeDefined();
    expect(r.sim.channel(channelId ?? '')?.answer()).toBe(true);
    for (const i of [3, 4]) await rest(r, i);
    await expectRecordedEvents(r);
  });

  it('07 error bodies and status codes E1-E28, with their events', async () => {
    r = await setup('07-errors');
    const labels = r.rest.map((x) => x.label);
    const at = (prefix: string) => labels.findIndex((l) => l.startsWith(prefix));
    for (const i of restRange(0, at('poll') - 1)) await rest(r, i);
    await placeCall(r, '1795331363.18', false);
    for (const i of restRange(at('poll'), at('E22') - 1)) await rest(r, i);
    await placeCall(r, '1795331363.19');
    for (const i of restRange(at('E22'), r.rest.length - 1)) await rest(r, i);
    await expectRecordedEvents(r);
    expect(r.sim.channels()).toEqual([]);
  });

  it('08 events WebSocket closed and reopened: nothing replayed, new events on the new connection', async () => {
    r = await setup('08-ari-reconnect');
    const call = await placeCall(r, '1795331367.20');
    for (const i of [0, 1, 2]) await rest(r, i);
    const first = r.streams[0];
    const firstEvents = r.collectors[0];
    await firstEvents?.drained(r.sim);
    await first?.close();
    const labels = r.rest.map((x) => x.label);
    const at = (prefix: string) => labels.findIndex((l) => l.startsWith(prefix));
    for (const i of restRange(at('R1'), at('R6') - 1)) await rest(r, i);
    const second = await connectedStream(r.sim);
    r.streams.push(second.stream);
    r.collectors.push(second.events);
    for (const i of restRange(at('R6'), at('R8'))) await rest(r, i);
    await call.hangup();
    for (const i of restRange(at('R8') + 1, r.rest.length - 1)) await rest(r, i);
    await expectRecordedEvents(r, [1, 2]);
  });
});
