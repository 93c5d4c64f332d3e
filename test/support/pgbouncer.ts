// A private PgBouncer (Debian's /usr/sbin/pgbouncer) on 127.0.0.1 at a free port, in front of a
// PostgreSQL server, for the pooled test pass (test/support/with-pgbouncer.ts) and tests that need
// one. Every database of the server is reachable through it (`* =`); pool_mode is transaction unless
// asked otherwise. It runs as the `postgres` OS user when this process is root (PgBouncer refuses
// root), from a temp directory holding its config, log and pid file.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './private-postgres.ts';

const BINARY = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** The PostgreSQL server behind it. */
  target: { host: string; port: number };
  poolMode?: 'transaction' | 'session' | 'statement';
  /** Server connections per database and user (default 8). */
  poolSize?: number;
}

export class PgBouncer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(opts: PgBouncerOptions): Promise<PgBouncer> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-pgbouncer-'));
    const conf = join(dir, 'pgbouncer.ini');
    await writeFile(join(dir, 'userlist.txt'), '"postgres" ""\n');
    await writeFile(
      conf,
      [
        '[databases]',
        `* = host=${opts.target.host} port=${opts.target.port}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        `pool_mode = ${opts.poolMode ?? 'transaction'}`,
        'max_client_conn = 2000',
        `default_pool_size = ${opts.poolSize ?? 8}`,
        // Test databases come and go: give their server connections back soon.
        'server_idle_timeout = 5',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        `pidfile = ${join(dir, 'pgbouncer.pid')}`,
        '',
      ].join('\n'),
    );
    const root = process.getuid?.() === 0;
    if (root) {
      const { uid, gid } = osUser('postgres');
      for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) await chown(join(dir, f), uid, gid);
    }
    const child = spawn(BINARY, [...(root ? ['-u', 'postgres'] : []), conf], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const bouncer = new PgBouncer(port, dir, child, exited);
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await bouncer.stop();
        throw new Error(`pgbouncer did not start on ${port}: ${stderr}${bouncer.log()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return bouncer;
  }

  /** `url` (a postgres:// URL of the target server) with host and port replaced by the pooler's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'pgbouncer.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function osUser(name: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`OS user ${name} not found (PgBouncer refuses to run as root)`);
}
