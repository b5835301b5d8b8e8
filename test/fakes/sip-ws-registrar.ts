import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** One SIP request the registrar received. */
export interface SipRequest {
  method: string;
  uri: string;
  headers: Array<[name: string, value: string]>;
  body: string;
  header(name: string): string | undefined;
}

export interface SipRegistration {
  aor: string;
  contact: string;
  expires: number;
}

export interface SipInvite {
  requestUri: string;
  from: string;
  offer: string;
  /** The codec the answer chose (`opus` or `PCMU`), or undefined when the offer had neither (488). */
  codec: string | undefined;
}

export interface SipWsRegistrarOptions {
  /** Delay between 180 Ringing and 200 OK. Default 50 ms. */
  ringMs?: number;
  /**
   * Codecs the endpoint allows, in Asterisk's spelling and order of preference (pjsip `allow`). Default
   * `['opus', 'ulaw']`. The answer takes the first one the offer has.
   */
  allow?: readonly string[];
}

/** pjsip codec names → SDP encoding names. */
const SDP_NAMES: Readonly<Record<string, string>> = { ulaw: 'PCMU', alaw: 'PCMA', opus: 'opus', g722: 'G722' };

function parseRequest(text: string): SipRequest | undefined {
  const split = text.indexOf('\r\n\r\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 4) : '';
  const [start, ...lines] = head.split('\r\n');
  const m = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(start ?? '');
  if (!m?.[1] || !m[2]) return undefined;
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return {
    method: m[1],
    uri: m[2],
    headers,
    body,
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/** An SDP answer a browser accepts for its offer: same mid, one codec, ICE and DTLS attributes (ICE never connects). */
function sdpAnswer(offer: string, allow: readonly string[]): { sdp: string; codec: string } | undefined {
  const lines = offer.split(/\r?\n/);
  const mid = lines.find((l) => l.startsWith('a=mid:'))?.slice(6) ?? '0';
  const rtpmaps = lines.filter((l) => l.startsWith('a=rtpmap:'));
  const pick = (name: string) => rtpmaps.find((l) => l.toLowerCase().includes(` ${name.toLowerCase()}/`));
  const chosen = allow.map((c) => pick(SDP_NAMES[c] ?? c)).find((l) => l !== undefined);
  if (!chosen) return undefined;
  const pt = /^a=rtpmap:(\d+) /.exec(chosen)?.[1] ?? '0';
  const codec = /^a=rtpmap:\d+ ([^/]+)\//.exec(chosen)?.[1] ?? 'PCMU';
  const fmtp = lines.find((l) => l.startsWith(`a=fmtp:${pt} `));
  const fingerprint = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const sdp = [
    'v=0',
    `o=- ${Date.now()} 1 IN IP4 127.0.0.1`,
    's=fake-registrar',
    't=0 0',
    `a=group:BUNDLE ${mid}`,
    `m=audio 9 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 127.0.0.1',
    'a=rtcp-mux',
    `a=mid:${mid}`,
    `a=ice-ufrag:${randomBytes(4).toString('hex')}`,
    `a=ice-pwd:${randomBytes(16).toString('hex')}`,
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:active',
    chosen,
    ...(fmtp ? [fmtp] : []),
    'a=sendrecv',
    'a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host',
    'a=end-of-candidates',
    '',
  ].join('\r\n');
  return { sdp, codec };
}

/**
 * A SIP-over-WebSocket registrar and user agent for web phone tests (RFC 7118, subprotocol `sip`), standing in for
 * Asterisk's `transport-wss`: REGISTER gets 200 (the contact echoed with its expiry), INVITE gets 100, 180 and then
 * 200 with an SDP answer (opus if offered, else PCMU), BYE/CANCEL/OPTIONS get 200. No authentication, no media.
 */
export class SipWsRegistrar {
  readonly requests: SipRequest[] = [];
  readonly registrations: SipRegistration[] = [];
  readonly invites: SipInvite[] = [];
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #ringMs: number;
  readonly #allow: readonly string[];
  readonly #dialogs = new Map<string, { ws: WebSocket; invite: SipRequest; toTag: string }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #port = 0;

  private constructor(options: SipWsRegistrarOptions) {
    this.#ringMs = options.ringMs ?? 50;
    this.#allow = options.allow ?? ['opus', 'ulaw'];
    this.#http = createServer((_req, res) => res.writeHead(426).end());
    this.#wss = new WebSocketServer({
      server: this.#http,
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    this.#wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (!isBinary) this.#onMessage(ws, String(data));
      });
    });
  }

  static async start(options: SipWsRegistrarOptions = {}): Promise<SipWsRegistrar> {
    const r = new SipWsRegistrar(options);
    await new Promise<void>((done) => r.#http.listen(0, '127.0.0.1', done));
    r.#port = (r.#http.address() as AddressInfo).port;
    return r;
  }

  /** `ws://127.0.0.1:<port>` */
  get url(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  /** Requests of one method, in order. */
  received(method: string): SipRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** The far end hangs up an answered call: a BYE to the phone. Returns false for an unknown Call-ID. */
  bye(callId: string): boolean {
    const d = this.#dialogs.get(callId);
    if (!d || d.ws.readyState !== d.ws.OPEN) return false;
    this.#dialogs.delete(callId);
    const contact = /<([^>]+)>/.exec(d.invite.header('Contact') ?? '')?.[1] ?? d.invite.header('From') ?? '';
    const lines = [
      `BYE ${contact} SIP/2.0`,
      `Via: SIP/2.0/WS 127.0.0.1:${this.#port};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
      'Max-Forwards: 70',
      `From: ${d.invite.header('To') ?? ''};tag=${d.toTag}`,
      `To: ${d.invite.header('From') ?? ''}`,
      `Call-ID: ${callId}`,
      'CSeq: 1 BYE',
      'Server: fake-sip-ws-registrar',
      'Content-Length: 0',
    ];
    d.ws.send(`${lines.join('\r\n')}\r\n\r\n`);
    return true;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((done) => this.#wss.close(() => done()));
    await new Promise<void>((done) => this.#http.close(() => done()));
  }

  #onMessage(ws: WebSocket, text: string): void {
    if (text.trim() === '') return; // keep-alive CRLF
    const req = parseRequest(text);
    if (!req) return; // responses to our (non-existent) requests
    this.requests.push(req);
    const toTag = randomBytes(6).toString('hex');
    switch (req.method) {
      case 'REGISTER': {
        const contact = req.header('Contact') ?? '';
        const expires = Number.parseInt(req.header('Expires') ?? /;expires=(\d+)/.exec(contact)?.[1] ?? '600', 10);
        if (contact && contact !== '*') {
          this.registrations.push({ aor: req.header('To') ?? '', contact, expires });
        }
        const echoed =
          contact && contact !== '*' ? `${contact.replace(/;expires=\d+/, '')};expires=${expires}` : undefined;
        this.#respond(ws, req, 200, 'OK', toTag, echoed ? [['Contact', echoed]] : []);
        return;
      }
      case 'INVITE': {
        const answer = sdpAnswer(req.body, this.#allow);
        this.invites.push({
          requestUri: req.uri,
          from: req.header('From') ?? '',
          offer: req.body,
          codec: answer?.codec,
        });
        this.#respond(ws, req, 100, 'Trying');
        if (!answer) {
          this.#respond(ws, req, 488, 'Not Acceptable Here', toTag);
          return;
        }
        const contact: Array<[string, string]> = [['Contact', `<sip:registrar@127.0.0.1:${this.#port};transport=ws>`]];
        this.#respond(ws, req, 180, 'Ringing', toTag, contact);
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (ws.readyState !== ws.OPEN) return;
          this.#respond(ws, req, 200, 'OK', toTag, [...contact, ['Content-Type', 'application/sdp']], answer.sdp);
          this.#dialogs.set(req.header('Call-ID') ?? '', { ws, invite: req, toTag });
        }, this.#ringMs);
        this.#timers.add(t);
        return;
      }
      case 'ACK':
        return;
      default:
        this.#respond(ws, req, 200, 'OK', toTag);
    }
  }

  #respond(
    ws: WebSocket,
    req: SipRequest,
    status: number,
    reason: string,
    toTag?: string,
    extra: Array<[string, string]> = [],
    body = '',
  ): void {
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const [name, value] of req.headers)
      if (name.toLowerCase() === 'via' || name === 'v') lines.push(`Via: ${value}`);
    lines.push(`From: ${req.header('From') ?? ''}`);
    const to = req.header('To') ?? '';
    lines.push(`To: ${toTag && !/;tag=/.test(to) ? `${to};tag=${toTag}` : to}`);
    lines.push(`Call-ID: ${req.header('Call-ID') ?? ''}`);
    lines.push(`CSeq: ${req.header('CSeq') ?? ''}`);
    for (const [name, value] of extra) lines.push(`${name}: ${value}`);
    lines.push('Server: fake-sip-ws-registrar');
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    ws.send(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }
}
