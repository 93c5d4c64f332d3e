// A TCP proxy on 127.0.0.1 in front of PostgreSQL that a test can cut like a pulled cable: after
// partition() connections stay open but nothing passes, so queries hang instead of failing, which is
// what a worker sees in a network partition (no reset, no error, just silence). restore() ends the
// partition the way a firewall that lost its connection state does: the connections that were open are
// reset, new ones pass again. dropAnswerOnce() loses one answer: the statement reaches the server and
// runs to its end (its transaction commits), but the client never hears back and its connection drops.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { clientMessages, serverMessages } from './pg-wire.ts';

interface DropAnswer {
  match: (clientBytes: Buffer) => boolean;
  dropped: () => void;
}

export class TcpProxy {
  private cut = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private dropNext: DropAnswer | null = null;
  port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.pipe(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  /** `url` with its host and port replaced by this proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** From now on nothing passes in either direction; open connections stay open. */
  partition(): void {
    this.cut = true;
  }

  /** Ends a partition: every connection open during it is reset, new connections pass again. */
  restore(): void {
    for (const s of this.sockets) s.destroy();
    this.cut = false;
  }

  /**
   * The next client message that `match`es goes to the server, but what the server answers on that
   * connection is swallowed until it is idle again (ReadyForQuery outside a transaction: the statement,
   * or the transaction it ended, has committed); then the connection is dropped. Resolves at the drop.
   */
  dropAnswerOnce(match: (clientBytes: Buffer) => boolean): Promise<void> {
    return new Promise((dropped) => {
      this.dropNext = { match, dropped };
    });
  }

  /** Drops every connection (clients then see errors, not silence) and stops listening. */
  async close(): Promise<void> {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private pipe(client: Socket): void {
    this.track(client);
    // A cut cable also swallows new connection attempts: accepted, never answered.
    if (this.cut) return;
    const upstream = tcpConnect(this.target.port, this.target.host);
    this.track(upstream);
    // The startup packet, each Sync (extended protocol) and each simple Query are answered by one
    // ReadyForQuery: counting both sides tells which ReadyForQuery ends the matched statement.
    const requests = clientMessages();
    const answers = serverMessages();
    let syncsSent = 0;
    let readySeen = 0;
    let dropping: { drop: DropAnswer; afterReady: number } | null = null;
    client.on('data', (d) => {
      if (this.cut) return;
      syncsSent += requests(d).filter((m) => m.type === '' || m.type === 'S' || m.type === 'Q').length;
      if (!dropping && this.dropNext?.match(d)) {
        dropping = { drop: this.dropNext, afterReady: syncsSent };
        this.dropNext = null;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (this.cut) return;
      let idleAtEnd = false;
      for (const m of answers(d)) {
        if (m.type !== 'Z') continue;
        readySeen += 1;
        idleAtEnd = dropping !== null && readySeen >= dropping.afterReady && m.body[0] === 0x49; // 'I'
        if (idleAtEnd) break;
      }
      if (!dropping) {
        client.write(d);
        return;
      }
      if (idleAtEnd) {
        client.destroy();
        upstream.destroy();
        dropping.drop.dropped();
      }
    });
    // While connected, a close on one side closes the other; once cut, nothing is passed on, not even that.
    client.on('close', () => {
      if (!this.cut) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!this.cut) client.destroy();
    });
  }
}
