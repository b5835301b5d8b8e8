/**
 * The externalMedia RTP recordings from a real Asterisk 22.10.1 (test/fixtures/asterisk-22.10/11…16): checks that
 * the stored packets, their index and the summaries agree, and pins the wire facts the RTP path relies on.
 */
import { describe, expect, it } from 'vitest';
import { alawDecode, ulawDecode } from '../../../src/audio/g711.js';
import { estimateFrequency, rmsDbfs } from '../../../src/audio/tone-analysis.js';
import {
  loadRtpBin,
  loadRtpPackets,
  loadRtpSummary,
  RTP_SCENARIOS,
  type RtpPacket,
  type RtpScenario,
} from '../../fixtures/asterisk-22.10/rtp-fixtures.js';
import { type RecordedEvent, recordedEvents, recordedRest } from '../ari/fixture-files.js';

/** Payload type Asterisk uses towards the externalMedia peer, and its payload bytes per 20 ms. */
const ASTERISK_PT: Record<string, { pt: number; bytes: number; rate: number }> = {
  ulaw: { pt: 0, bytes: 160, rate: 8000 },
  alaw: { pt: 8, bytes: 160, rate: 8000 },
  slin: { pt: 10, bytes: 320, rate: 8000 },
  slin16: { pt: 118, bytes: 640, rate: 16000 },
};

function header(b: Buffer) {
  return {
    version: (b[0] as number) >> 6,
    padding: ((b[0] as number) >> 5) & 1,
    extension: ((b[0] as number) >> 4) & 1,
    cc: (b[0] as number) & 15,
    marker: (b[1] as number) >> 7,
    pt: (b[1] as number) & 127,
    seq: b.readUInt16BE(2),
    ts: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8),
  };
}

function asteriskPackets(s: RtpScenario): RtpPacket[] {
  return loadRtpPackets(s).filter((p) => p.dir === 'in' && p.kind === 'rtp');
}

function pcmBigEndian(payloads: Buffer[], littleEndian = false): Int16Array {
  const all = Buffer.concat(payloads);
  const out = new Int16Array(all.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = littleEndian ? all.readInt16LE(i * 2) : all.readInt16BE(i * 2);
  return out;
}

function externalMediaReply(s: RtpScenario) {
  const rec = recordedRest(s).find((r) => r.path.startsWith('/ari/channels/externalMedia'));
  if (!rec) throw new Error(`${s}: no externalMedia request`);
  return rec;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Samples in one packet's payload: G.711 is a byte per sample, L16 two. */
function samplesOf(p: RtpPacket): number {
  return p.pt === 0 || p.pt === 8 ? p.payload_len : p.payload_len / 2;
}

/** Sequence steps between consecutive packets of Asterisk's stream that are not +1. */
function seqJumps(ps: RtpPacket[]): { seq: number; ts: number }[] {
  const out: { seq: number; ts: number }[] = [];
  for (let i = 1; i < ps.length; i++) {
    const a = ps[i - 1] as RtpPacket;
    const b = ps[i] as RtpPacket;
    const dSeq = (b.seq - a.seq + 65536) % 65536;
    const dTs = (b.ts - a.ts + 2 ** 32) % 2 ** 32;
    if (dSeq !== 1 || dTs !== samplesOf(b)) {
      out.push({ seq: dSeq, ts: dTs });
    }
  }
  return out;
}

function eventsOf(s: RtpScenario, tech: string): RecordedEvent[] {
  return recordedEvents(s).filter((r) => {
    const ch = r.event.channel as { name?: string } | undefined;
    return ch?.name?.startsWith(tech) === true;
  });
}

function typesAfter(events: RecordedEvent[], t: number, skip = ['ChannelVarset']): string[] {
  return events.filter((r) => r.t_ms >= t && !skip.includes(r.event.type)).map((r) => r.event.type);
}

describe('externalMedia RTP recordings from Asterisk 22.10.1', () => {
  for (const s of RTP_SCENARIOS) {
    it(`${s}: the index, the raw datagrams and the summary agree`, () => {
      const packets = loadRtpPackets(s);
      const summary = loadRtpSummary(s);
      let off = 0;
      for (const p of packets) {
        expect(p.off).toBe(off);
        off += p.len;
        expect(p.bytes.length).toBe(p.len);
        if (p.kind !== 'rtp') continue;
        const h = header(p.bytes);
        expect(h).toEqual({
          version: 2,
          padding: p.padding,
          extension: p.extension,
          cc: p.cc,
          marker: p.marker,
          pt: p.pt,
          seq: p.seq,
          ts: p.ts,
          ssrc: p.ssrc,
        });
        expect([h.padding, h.extension, h.cc]).toEqual([0, 0, 0]);
        expect(p.payload_len).toBe(p.len - 12);
      }
      expect(loadRtpBin(s).length).toBe(off);
      for (const [dir, sum] of [
        ['in', summary.asterisk_to_controller],
        ['out', summary.controller_to_asterisk],
      ] as const) {
        const rtp = packets.filter((p) => p.dir === dir && p.kind === 'rtp');
        expect(rtp.length).toBe(sum.packets);
        const counts: Record<string, number> = {};
        for (const p of rtp) counts[String(p.pt)] = (counts[String(p.pt)] ?? 0) + 1;
        expect(counts).toEqual(Object.fromEntries(Object.entries(sum.payload_types).map(([k, v]) => [k, v.count])));
      }
      // chan_rtp never sends RTCP, on the RTP port or on port + 1.
      expect(packets.filter((p) => p.kind !== 'rtp')).toEqual([]);
      expect(summary.rtcp_packets_received).toBe(0);
    });

    it(`${s}: Asterisk sends the format's payload type, 20 ms per packet, from the address in the reply`, () => {
      const summary = loadRtpSummary(s);
      const reply = externalMediaReply(s);
      const format = new URLSearchParams(reply.path.split('?')[1]).get('format') as string;
      expect(format).toBe(summary.format);
      const want = ASTERISK_PT[format];
      if (!want) throw new Error(`no expectation for ${format}`);
      const vars = (reply.response_body as { channelvars: Record<string, string> }).channelvars;
      const ps = asteriskPackets(s);
      expect(ps.length).toBeGreaterThan(50);
      expect(new Set(ps.map((p) => p.peer))).toEqual(
        new Set([`${vars.UNICASTRTP_LOCAL_ADDRESS}:${vars.UNICASTRTP_LOCAL_PORT}`]),
      );
      expect(new Set(ps.map((p) => p.pt))).toEqual(new Set([want.pt]));
      expect(new Set(ps.map((p) => p.payload_len))).toEqual(new Set([want.bytes]));
      // One SSRC for the whole call (also across the re-bridge in 16) and never a marker bit.
      expect(new Set(ps.map((p) => p.ssrc)).size).toBe(1);
      expect(ps.filter((p) => p.marker === 1)).toEqual([]);
      const gaps = ps.slice(1).map((p, i) => p.t_ms - (ps[i] as RtpPacket).t_ms);
      expect(median(gaps)).toBeGreaterThan(19);
      expect(median(gaps)).toBeLessThan(21);
    });
  }

  it('ulaw: a 440 Hz -12 dBFS PCMU tone from the caller arrives unchanged, seq +1 and ts +160 per packet', () => {
    const ps = asteriskPackets('11-externalmedia-rtp-ulaw');
    expect(seqJumps(ps)).toEqual([]);
    const pcm = ulawDecode(Buffer.concat(ps.slice(5, -5).map((p) => p.bytes.subarray(12))));
    expect(estimateFrequency(pcm, 8000)).toBeCloseTo(440, 0);
    expect(rmsDbfs(pcm)).toBeCloseTo(-12, 0);
  });

  it('alaw and slin: PT 8 and PT 10 (L16 big-endian at 8 kHz), the tone intact, and both taken back as sent', () => {
    const alaw = asteriskPackets('17-externalmedia-rtp-alaw');
    const a = alawDecode(Buffer.concat(alaw.slice(5, -5).map((p) => p.bytes.subarray(12))));
    expect(estimateFrequency(a, 8000)).toBeCloseTo(440, 0);
    expect(rmsDbfs(a)).toBeCloseTo(-12, 0);
    const slin = asteriskPackets('18-externalmedia-rtp-slin');
    const payloads = slin.slice(5, -5).map((p) => p.bytes.subarray(12));
    expect(estimateFrequency(pcmBigEndian(payloads), 8000)).toBeCloseTo(440, 0);
    expect(rmsDbfs(pcmBigEndian(payloads))).toBeCloseTo(-12, 0);
    expect(Math.abs(estimateFrequency(pcmBigEndian(payloads, true), 8000) - 440)).toBeGreaterThan(500);
    expect(seqJumps(slin)).toEqual([]);
    for (const s of ['17-externalmedia-rtp-alaw', '18-externalmedia-rtp-slin'] as const) {
      const summary = loadRtpSummary(s);
      expect(summary.sip_caller_received_from_asterisk?.tone).toEqual({ freq_hz: 440, rms_dbfs: -12 });
    }
  });

  it('slin16: L16 at 16 kHz in network byte order (big-endian), seq +1 and ts +320 per packet', () => {
    for (const s of ['12-externalmedia-rtp-slin16', '12b-externalmedia-rtp-slin16-pt118-back'] as const) {
      const ps = asteriskPackets(s);
      const payloads = ps.slice(5, -5).map((p) => p.bytes.subarray(12));
      const be = pcmBigEndian(payloads);
      expect(estimateFrequency(be, 16000)).toBeCloseTo(440, 0);
      expect(rmsDbfs(be)).toBeCloseTo(-12, 0);
      // Read little-endian the same bytes are loud wideband noise, nowhere near the tone.
      const le = pcmBigEndian(payloads, true);
      expect(Math.abs(estimateFrequency(le, 16000) - 440)).toBeGreaterThan(1000);
      for (let i = 1; i < ps.length; i++) {
        const a = ps[i - 1] as RtpPacket;
        const b = ps[i] as RtpPacket;
        expect((b.seq - a.seq + 65536) % 65536).toBe(1);
        expect((b.ts - a.ts + 2 ** 32) % 2 ** 32).toBe(320);
      }
    }
  });

  it('slin16: Asterisk takes back 8 kHz L16 with static PT 11 but silently drops its own PT 118', () => {
    const ok = loadRtpSummary('12-externalmedia-rtp-slin16');
    expect(Object.keys(ok.controller_to_asterisk.payload_types)).toEqual(['11']);
    expect(ok.controller_to_asterisk.payload_types['11']?.payload_sizes).toEqual({
      '320': ok.controller_to_asterisk.packets,
    });
    expect(ok.sip_caller_received_from_asterisk?.packets).toBeGreaterThan(100);
    expect(ok.sip_caller_received_from_asterisk?.tone).toEqual({ freq_hz: 440, rms_dbfs: -12 });

    const dropped = loadRtpSummary('12b-externalmedia-rtp-slin16-pt118-back');
    expect(Object.keys(dropped.controller_to_asterisk.payload_types)).toEqual(['118']);
    expect(dropped.controller_to_asterisk.packets).toBeGreaterThan(50);
    expect(dropped.sip_caller_received_from_asterisk).toEqual({ packets: 0, payload_types: [] });
  });

  it('the controller stream: own SSRC, random start, seq +1, ts + samples, marker on the first packet only', () => {
    for (const s of RTP_SCENARIOS) {
      const out = loadRtpPackets(s).filter((p) => p.dir === 'out');
      const theirs = new Set(asteriskPackets(s).map((p) => p.ssrc));
      expect(new Set(out.map((p) => p.ssrc)).size).toBe(1);
      expect(theirs.has((out[0] as RtpPacket).ssrc)).toBe(false);
      expect(out.map((p) => p.marker).indexOf(1)).toBe(0);
      expect(out.filter((p) => p.marker === 1)).toHaveLength(1);
      for (let i = 1; i < out.length; i++) {
        const a = out[i - 1] as RtpPacket;
        const b = out[i] as RtpPacket;
        expect((b.seq - a.seq + 65536) % 65536).toBe(1);
        expect((b.ts - a.ts + 2 ** 32) % 2 ** 32).toBe(samplesOf(a));
      }
    }
  });

  it('caller DTMF: only ARI ChannelDtmfReceived; the RTP stream carries no telephone-event, just a pause', () => {
    const s = '13-externalmedia-rtp-caller-dtmf';
    const digits = eventsOf(s, 'PJSIP/')
      .filter((r) => r.event.type === 'ChannelDtmfReceived')
      .map((r) => [r.event.digit, r.event.duration_ms]);
    expect(digits).toEqual([
      ['1', 160],
      ['5', 160],
      ['#', 160],
    ]);
    expect(eventsOf(s, 'UnicastRTP/').filter((r) => r.event.type === 'ChannelDtmfReceived')).toEqual([]);
    const ps = asteriskPackets(s);
    expect(new Set(ps.map((p) => p.pt))).toEqual(new Set([0]));
    // Pass-through keeps the caller's numbering: each 160 ms digit (8 events + 3 end repeats) skips 11 seq, 1440 ts.
    expect(seqJumps(ps)).toEqual([
      { seq: 11, ts: 1440 },
      { seq: 11, ts: 1440 },
      { seq: 11, ts: 1440 },
    ]);
  });

  it('re-bridge: same SSRC and no marker; the 26 caller packets missed show as one seq/ts jump', () => {
    const s = '16-externalmedia-rtp-rebridge';
    const summary = loadRtpSummary(s);
    expect(summary.timing.rebridge_added_t_ms).toBeGreaterThan(summary.timing.rebridge_removed_t_ms as number);
    expect(seqJumps(asteriskPackets(s))).toEqual([{ seq: 26, ts: 26 * 160 }]);
  });

  it('a silent caller: Asterisk sends nothing to the RTP peer until the caller sends audio', () => {
    const s = '15-externalmedia-rtp-silent-caller';
    const summary = loadRtpSummary(s);
    const bridged = summary.timing.add_channel_response_t_ms as number;
    const first = (asteriskPackets(s)[0] as RtpPacket).t_ms;
    expect(first - bridged).toBeGreaterThan(1000);
    // With a talking caller the first packet follows the addChannel reply at once.
    const talking = loadRtpSummary('11-externalmedia-rtp-ulaw');
    expect(talking.first_rx_after_add_channel_ms).toBeLessThan(100);
  });

  it('caller hangs up: the UnicastRTP channel stays until the controller deletes it', () => {
    const s = '11-externalmedia-rtp-ulaw';
    const callerEnd = eventsOf(s, 'PJSIP/').find((r) => r.event.type === 'StasisEnd') as RecordedEvent;
    const del = recordedRest(s).find((r) => r.method === 'DELETE' && r.label === 'hang up external media channel');
    if (!del) throw new Error('no DELETE of the media channel');
    expect(del.t_ms_request).toBeGreaterThan(callerEnd.t_ms);
    const media = eventsOf(s, 'UnicastRTP/');
    expect(media.filter((r) => r.event.type === 'ChannelHangupRequest' && r.t_ms < del.t_ms_request)).toEqual([]);
    const last = asteriskPackets(s).at(-1) as RtpPacket;
    expect(last.t_ms).toBeLessThan(callerEnd.t_ms);
  });

  it('controller deletes the UnicastRTP channel mid-call: its events in order, the caller stays', () => {
    const s = '14-externalmedia-rtp-controller-hangup';
    const del = recordedRest(s).find((r) => r.label === 'hang up external media channel');
    const hangCaller = recordedRest(s).find((r) => r.label === 'hang up caller');
    if (!del || !hangCaller) throw new Error('missing REST lines');
    expect(del.status).toBe(204);
    const media = eventsOf(s, 'UnicastRTP/');
    expect(typesAfter(media, del.t_ms_request)).toEqual([
      'ChannelHangupRequest',
      'ChannelLeftBridge',
      'StasisEnd',
      'ChannelDestroyed',
    ]);
    const req = media.find((r) => r.event.type === 'ChannelHangupRequest');
    expect([req?.event.cause, req?.event.soft]).toEqual([32, true]);
    const destroyed = media.find((r) => r.event.type === 'ChannelDestroyed');
    expect([destroyed?.event.cause, destroyed?.event.cause_txt]).toEqual([16, 'Normal Clearing']);
    // Nothing happens to the caller until the controller hangs it up too.
    const caller = eventsOf(s, 'PJSIP/');
    expect(typesAfter(caller, del.t_ms_request).length).toBeGreaterThan(0);
    expect(caller.filter((r) => r.t_ms > del.t_ms_request && r.t_ms < hangCaller.t_ms_request)).toEqual([]);
    expect(typesAfter(caller, hangCaller.t_ms_request)).toEqual([
      'ChannelHangupRequest',
      'ChannelLeftBridge',
      'StasisEnd',
    ]);
    expect(asteriskPackets(s).filter((p) => p.t_ms > del.t_ms_response)).toEqual([]);
  });
});
