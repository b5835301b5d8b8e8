/** Plain TCP on loopback for tests: spare ports and raw client sockets (peers that speak no protocol of ours). */
import { connect, createServer, type Socket } from 'node:net';

/** A TCP port nothing listens on right now: bound on 127.0.0.1, then released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A raw TCP connection to 127.0.0.1:`port`; resolves once connected. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves once the socket is closed (by the peer, usually); what it receives is read and discarded, errors ignored. */
export function closedByPeer(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    s.on('error', () => {});
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
    s.resume();
  });
}
