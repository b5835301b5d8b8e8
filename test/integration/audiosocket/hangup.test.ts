import { afterEach, describe, expect, it } from 'vitest';
import { dialAudioSocket, type SimulatedAudioSocketCall } from '../../../src/simulator/audiosocket-dialer.js';
import { type Harness, startHarness } from './harness.js';
import { waitFor } from '../../support/wait.js';

describe('AudioSocket hangup in both directions', () => {
  let harness: Harness | undefined;
  const calls: SimulatedAudioSocketCall[] = [];

  afterEach(async () => {
    await Promise.all(calls.splice(0).map((c) => c.hangup()));
    await harness?.close();
    harness = undefined;
  });

  async function dial(h: Harness): Promise<SimulatedAudioSocketCall> {
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register() });
    calls.push(call);
    await waitFor(() => h.connections.has(call.uuid) && call.framesReceived >= 3, 20_000, 'the call to be flowing');
    return call;
  }

  it('server hangup: the dialer receives 00 00 00 as the last frame, then the socket closes', async () => {
    const h = await startHarness();
    harness = h;
    const call = await dial(h);
    const conn = h.connections.get(call.uuid)!;
    const serverInfo = await conn.hangup();
    expect(serverInfo).toEqual({ reason: 'hangup_sent' });
    expect(await call.closed).toEqual({ by: 'remote', reason: 'hangup_frame' });
    const last = call.received.at(-1);
    expect(last?.kind).toBe(0x00);
    expect(last?.length).toBe(0);
    expect(call.received.filter((f) => f.kind === 0)).toHaveLength(1);
    expect(call.protocolViolations).toEqual([]);
    // Idempotent: further hangup/close calls resolve with the same info and send nothing.
    expect(await conn.hangup()).toBe(serverInfo);
    expect(await conn.close()).toBe(serverInfo);
    expect(conn.sendAudio(Buffer.alloc(320))).toBe(false);
  });

  it('dialer hangup (socket close, no 0x00, as Asterisk does): the server connection closes with remote_closed', async () => {
    const h = await startHarness();
    harness = h;
    const call = await dial(h);
    const conn = h.connections.get(call.uuid)!;
    expect(await call.hangup()).toEqual({ by: 'local', reason: 'hangup' });
    expect(await conn.closed).toEqual({ reason: 'remote_closed' });
    expect(conn.state).toBe('closed');
    expect(h.server.connections.size).toBe(0);
    expect(h.lines.some((l) => l.uuid === call.uuid && l.msg === 'AudioSocket peer closed the connection')).toBe(true);
  });

  it('close() ends the call without a hangup frame; the dialer sees the remote close', async () => {
    const h = await startHarness();
    harness = h;
    const call = await dial(h);
    const conn = h.connections.get(call.uuid)!;
    expect(await conn.close()).toEqual({ reason: 'local_close' });
    expect(await call.closed).toEqual({ by: 'remote', reason: 'remote_closed' });
    expect(call.received.some((f) => f.kind === 0)).toBe(false);
  });

  it('server.close() hangs up every call with server_closing and stops listening', async () => {
    const h = await startHarness();
    harness = h;
    const a = await dial(h);
    const b = await dial(h);
    await h.server.close();
    expect(await a.closed).toEqual({ by: 'remote', reason: 'hangup_frame' });
    expect(await b.closed).toEqual({ by: 'remote', reason: 'hangup_frame' });
    expect([...h.closes.values()].map((i) => i.reason)).toEqual(['server_closing', 'server_closing']);
    await expect(dialAudioSocket({ host: h.host, port: h.port, uuid: h.register() })).rejects.toMatchObject({
      code: 'AUDIOSOCKET_CONNECT_FAILED',
    });
    // Idempotent.
    await h.server.close();
  });

  it('server.close(deadline) lets calls that end within the deadline end on their own', async () => {
    const h = await startHarness();
    harness = h;
    const call = await dial(h);
    const closing = h.server.close(30_000);
    await call.hangup();
    await closing;
    expect(h.closes.get(call.uuid)).toEqual({ reason: 'remote_closed' });
  });

  it('an aborted signal hangs the dialer up', async () => {
    const h = await startHarness();
    harness = h;
    const ac = new AbortController();
    const call = await dialAudioSocket({ host: h.host, port: h.port, uuid: h.register(), signal: ac.signal });
    calls.push(call);
    await waitFor(() => h.connections.has(call.uuid), 20_000, 'admission');
    ac.abort();
    expect(await call.closed).toEqual({ by: 'local', reason: 'aborted' });
    expect(await h.connections.get(call.uuid)!.closed).toEqual({ reason: 'remote_closed' });
  });
});
