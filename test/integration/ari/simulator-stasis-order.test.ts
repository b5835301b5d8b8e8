/** The simulated Asterisk can put an externalMedia channel into Stasis after its REST answer, as a real one may. */
import { afterEach, describe, expect, it } from 'vitest';
import { addChannelWhenInStasis, MediaStasisTracker } from '../../../src/calls/ari-setup.js';
import type { SimulatedAsterisk } from '../../../src/simulator/ari/index.js';
import type { AriClient, AriEventStream } from '../../../src/transports/ari/index.js';
import { AriHttpError } from '../../../src/transports/ari/ari-errors.js';
import { clientFor, connectedStream, type EventCollector, startSim } from './ari-harness.js';

const UUID = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';

/** A mixing bridge and an AudioSocket externalMedia channel, as the controller asks for them. */
async function bridgeAndMedia(client: AriClient) {
  const bridge = await client.bridges.create({ type: 'mixing' });
  const media = await client.channels.externalMedia({
    app: 'voice-adapter',
    external_host: '127.0.0.1:9',
    encapsulation: 'audiosocket',
    transport: 'tcp',
    format: 'slin',
    data: UUID,
  });
  return { bridge, media };
}

describe('externalMedia channels entering Stasis after the REST answer', () => {
  let sim: SimulatedAsterisk | undefined;
  let client: AriClient;
  let stream: AriEventStream | undefined;
  let events: EventCollector;

  afterEach(async () => {
    await stream?.close();
    await sim?.close();
    sim = undefined;
    stream = undefined;
  });

  async function setup(delayMs: number): Promise<void> {
    sim = await startSim({ audioSocket: false, mediaStasisDelayMs: delayMs });
    client = clientFor(sim);
    ({ stream, events } = await connectedStream(sim));
  }

  it('answers addChannel with 422 "Channel not in Stasis application" until the StasisStart', async () => {
    await setup(300);
    const { bridge, media } = await bridgeAndMedia(client);
    const early = await client.bridges.addChannel(bridge.id, { channel: media.id }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(AriHttpError);
    expect(early).toMatchObject({ status: 422, ariMessage: 'Channel not in Stasis application' });
    const start = await events.next('StasisStart');
    expect(start.channel.id).toBe(media.id);
    await client.bridges.addChannel(bridge.id, { channel: media.id });
    expect(sim!.bridges()[0]!.channels).toEqual([media.id]);
  });

  it('addChannelWhenInStasis retries the 422 until the channel is in the application', async () => {
    await setup(60);
    const { bridge, media } = await bridgeAndMedia(client);
    const retries: number[] = [];
    await addChannelWhenInStasis(client, bridge.id, media.id, { attempts: 8, delayMs: 20 }, (n) => retries.push(n));
    expect(retries.length).toBeGreaterThan(0);
    expect(sim!.bridges()[0]!.channels).toEqual([media.id]);
  });

  it('gives up after the bounded retries with the 422', async () => {
    await setup(60_000);
    const { bridge, media } = await bridgeAndMedia(client);
    const err = await addChannelWhenInStasis(client, bridge.id, media.id, { attempts: 2, delayMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 422 });
  });
});

describe('MediaStasisTracker', () => {
  it('resolves a waiter for a StasisStart that comes later, and one that came earlier', async () => {
    const t = new MediaStasisTracker();
    const signal = new AbortController().signal;
    const later = t.wait('a', signal);
    t.started('a');
    await expect(later).resolves.toBeUndefined();
    t.started('b');
    expect(t.unclaimed).toBe(1);
    await expect(t.wait('b', signal)).resolves.toBeUndefined();
    expect(t.unclaimed).toBe(0);
  });

  it('rejects with MEDIA_NO_STASIS when the wait is aborted, and forgets what is never claimed', async () => {
    const t = new MediaStasisTracker();
    const ac = new AbortController();
    const waiting = t.wait('x', ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'MEDIA_NO_STASIS' });
    for (let i = 0; i < 1005; i++) t.started(`c${i}`);
    expect(t.unclaimed).toBe(1000);
  });
});
