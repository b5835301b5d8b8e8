import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AriClient } from '../../../src/transports/ari/ari-client.js';
import { type SimulatedAsterisk, startSimulatedAsterisk } from '../../../src/simulator/ari/simulated-asterisk.js';
import { waitFor } from '../../support/wait.js';

const USER = 'adapter';
const PASSWORD = 'sim-cw-password';

interface Client {
  ws: WebSocket;
  texts: Record<string, unknown>[];
  raw: string[];
  binaries: number;
  closeCode: Promise<number>;
}

function open(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['media']);
    const client: Client = {
      ws,
      texts: [],
      raw: [],
      binaries: 0,
      closeCode: new Promise((r) => ws.once('close', (code) => r(code))),
    };
    ws.on('message', (data, isBinary) => {
      if (isBinary) client.binaries += 1;
      else {
        client.raw.push(String(data));
        try {
          client.texts.push(JSON.parse(String(data)) as Record<string, unknown>);
        } catch {
          // plain text
        }
      }
    });
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('simulated Asterisk: chan_websocket media endpoint (09-chan-websocket-json)', () => {
  let sim: SimulatedAsterisk | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  async function setup(transportData = 'f(json)') {
    sim = await startSimulatedAsterisk({ username: USER, password: PASSWORD });
    const ari = new AriClient({ baseUrl: sim.url, username: USER, password: PASSWORD });
    const ch = await ari.channels.externalMedia({
      app: 'voice-adapter',
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'server',
      format: 'slin16',
      transport_data: transportData,
    });
    const id = ch.channelvars?.MEDIA_WEBSOCKET_CONNECTION_ID ?? '';
    return { ari, ch, id, url: `${sim.url.replace('http', 'ws')}/media/${id}` };
  }

  it('answers 404 for an unknown id, 101 with subprotocol media and MEDIA_START, then 409 for a second connection', async () => {
    const { ch, id, url } = await setup();
    expect(ch.state).toBe('Down');
    expect(ch.channelvars).toMatchObject({ MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE: '640' });
    await expect(open(`${sim!.url.replace('http', 'ws')}/media/no-such-id`)).rejects.toThrow('HTTP 404');
    const c = await open(url);
    expect(c.ws.protocol).toBe('media');
    await waitFor(() => c.texts.length > 0, 2000, 'MEDIA_START');
    expect(c.texts[0]).toMatchObject({
      event: 'MEDIA_START',
      connection_id: id,
      channel: ch.name,
      channel_id: ch.id,
      format: 'slin16',
      optimal_frame_size: 640,
      ptime: 20,
    });
    expect(sim!.channels().find((x) => x.id === ch.id)?.state).toBe('Up');
    await expect(open(url)).rejects.toThrow('HTTP 409');
    c.ws.close();
  });

  it('STATUS, marks after played frames, FLUSH_MEDIA drops pending marks without a reply, ERROR for non-JSON', async () => {
    const { url } = await setup();
    const c = await open(url);
    const media = () => sim!.mediaWebSockets()[0]!;
    await waitFor(() => c.texts.length > 0, 2000, 'MEDIA_START');
    c.ws.send('{"command":"GET_STATUS"}');
    await waitFor(() => c.texts.some((t) => t.event === 'STATUS'), 2000, 'STATUS');
    expect(c.texts.find((t) => t.event === 'STATUS')).toMatchObject({
      queue_length: 0,
      xon_level: 800,
      xoff_level: 900,
      queue_full: false,
      bulk_media: false,
      media_paused: false,
    });
    for (let i = 0; i < 5; i++) c.ws.send(Buffer.alloc(640, 1));
    c.ws.send('{"command":"MARK_MEDIA","correlation_id":"mark-1"}');
    await waitFor(() => c.texts.some((t) => t.correlation_id === 'mark-1'), 2000, 'mark-1');
    expect(media().played.length).toBe(5);
    for (let i = 0; i < 50; i++) c.ws.send(Buffer.alloc(640, 2));
    c.ws.send('{"command":"MARK_MEDIA","correlation_id":"mark-2"}');
    c.ws.send('{"command":"FLUSH_MEDIA"}');
    c.ws.send('{"command":"GET_STATUS"}');
    await waitFor(() => c.texts.filter((t) => t.event === 'STATUS').length === 2, 2000, 'second STATUS');
    expect(c.texts.filter((t) => t.event === 'STATUS')[1]).toMatchObject({ queue_length: 0 });
    c.ws.send('{"command":"NO_SUCH_COMMAND"}');
    c.ws.send('GET_STATUS');
    await waitFor(() => c.texts.some((t) => t.event === 'ERROR'), 2000, 'ERROR');
    expect(c.texts.find((t) => t.event === 'ERROR')).toMatchObject({ error_text: 'Unable to parse JSON command' });
    await new Promise((r) => setTimeout(r, 200));
    expect(c.texts.some((t) => t.correlation_id === 'mark-2')).toBe(false);
    // Only the ERROR answered the last two; nothing else came.
    expect(c.texts.filter((t) => t.event !== 'MEDIA_MARK_PROCESSED').map((t) => t.event)).toEqual([
      'MEDIA_START',
      'STATUS',
      'STATUS',
      'ERROR',
    ]);
    // An odd-sized message loses its remainder.
    c.ws.send(Buffer.alloc(700));
    await waitFor(() => media().binarySizes.includes(700), 2000, 'odd message');
    expect(media().violations).toEqual(['700 bytes is not a multiple of 640']);
  });

  it('MEDIA_XOFF at the XOFF level and MEDIA_XON below the XON level', async () => {
    sim = await startSimulatedAsterisk({
      username: USER,
      password: PASSWORD,
      chanWebSocket: { queueMaxFrames: 30, xoffLevel: 20, xonLevel: 15 },
    });
    const ari = new AriClient({ baseUrl: sim.url, username: USER, password: PASSWORD });
    const ch = await ari.channels.externalMedia({
      app: 'voice-adapter',
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'server',
      format: 'slin',
      transport_data: 'f(json)',
    });
    const c = await open(`${sim.url.replace('http', 'ws')}/media/${ch.channelvars?.MEDIA_WEBSOCKET_CONNECTION_ID}`);
    c.ws.send(Buffer.alloc(320 * 40));
    await waitFor(() => c.texts.some((t) => t.event === 'MEDIA_XOFF'), 2000, 'XOFF');
    expect(sim.mediaWebSockets()[0]!.queueFullDrops).toBe(10);
    await waitFor(() => c.texts.some((t) => t.event === 'MEDIA_XON'), 2000, 'XON');
    expect(sim.mediaWebSockets()[0]!.queueLength).toBeLessThan(15);
  });

  it('closes with 1000 when the channel is hung up; a message over 65,500 bytes hangs the call up', async () => {
    const { ari, ch, url } = await setup();
    const c = await open(url);
    await ari.channels.hangup(ch.id);
    expect(await c.closeCode).toBe(1000);
    const second = await ari.channels.externalMedia({
      app: 'voice-adapter',
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'server',
      format: 'slin16',
      transport_data: 'f(json)',
    });
    const c2 = await open(
      `${sim!.url.replace('http', 'ws')}/media/${second.channelvars?.MEDIA_WEBSOCKET_CONNECTION_ID}`,
    );
    c2.ws.send(Buffer.alloc(65_536));
    await c2.closeCode;
    await waitFor(() => !sim!.channels().some((x) => x.id === second.id), 2000, 'channel gone');
  });

  it('speaks plain text when the channel was asked for f(plain-text)', async () => {
    const { url } = await setup('f(plain-text)');
    const c = await open(url);
    await waitFor(() => c.raw.length > 0, 2000, 'MEDIA_START');
    expect(c.raw[0]).toMatch(
      /^MEDIA_START connection_id:\S+ channel:\S+ channel_id:\S+ format:slin16 optimal_frame_size:640 ptime:20$/,
    );
    c.ws.send('MARK_MEDIA p1');
    await waitFor(() => c.raw.some((t) => t.startsWith('MEDIA_MARK_PROCESSED')), 2000, 'mark');
    expect(c.raw.find((t) => t.startsWith('MEDIA_MARK_PROCESSED'))).toContain('correlation_id:p1');
  });
});
