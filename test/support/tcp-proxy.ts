// A TCP proxy on 127.0.0.1 in front of PostgreSQL that a test can cut like a pulled cable: after
// partition() connections stay open but nothing passes, so queries hang instead of failing, which is
// what a worker sees in a network partition (no reset, no error, just silence).
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export class TcpProxy {
  private cut = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
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
    client.on('data', (d) => {
      if (!this.cut) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!this.cut) client.write(d);
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
