/**
 * A private, throwaway PostgreSQL instance for tests that need to stop and start the database
 * underneath a running engine (outage and recovery tests).
 *
 * Each instance gets a fresh temp data directory (initdb, trust auth, superuser `postgres`), listens only
 * on 127.0.0.1 at its own port, and keeps its unix socket inside the data directory's parent temp dir, so
 * it never touches a shared server. initdb and postgres refuse to run as root, so when the test process
 * is root every PostgreSQL binary is run as the `postgres` OS user through `runuser`, and the temp dir is
 * chowned to that user.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY_DEADLINE_MS = 30_000;
const PROBE_INTERVAL_MS = 50;
const OS_USER = 'postgres';

/** Directory holding initdb, pg_ctl, postgres and pg_isready: $PG_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
function pgBinDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      'PrivatePostgres: no PostgreSQL binaries found; set PG_BIN to the directory holding pg_ctl',
    );
  }
  return join(root, newest, 'bin');
}

const runningAsRoot = (): boolean => process.getuid?.() === 0;

/** Command line for a PostgreSQL binary, wrapped in `runuser -u postgres --` when we are root. */
function pgCommand(bin: string, args: readonly string[]): [string, string[]] {
  const path = join(pgBinDir(), bin);
  return runningAsRoot() ? ['runuser', ['-u', OS_USER, '--', path, ...args]] : [path, [...args]];
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: readonly string[], cwd: string): Promise<RunResult> {
  const [file, argv] = pgCommand(bin, args);
  return new Promise((resolve, reject) => {
    // cwd inside the temp dir: the postgres user may not be allowed into the caller's cwd.
    execFile(
      file,
      argv,
      { cwd, encoding: 'utf8', timeout: READY_DEADLINE_MS + 10_000 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') {
          reject(err); // spawn failure or timeout kill, not a plain non-zero exit
          return;
        }
        resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
      },
    );
  });
}

async function runOk(bin: string, args: readonly string[], cwd: string, logFile?: string): Promise<void> {
  const r = await run(bin, args, cwd);
  if (r.code === 0) return;
  let log = '';
  if (logFile !== undefined && existsSync(logFile)) {
    log = `\n--- server log (tail) ---\n${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}`;
  }
  throw new Error(`PrivatePostgres: ${bin} ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}${log}`);
}

/** A free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('PrivatePostgres: could not determine a free port'));
        return;
      }
      srv.close((err) => (err ? reject(err) : resolve(addr.port)));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Instances not yet destroyed; killed synchronously if the test process exits without disposing them. */
const live = new Set<PrivatePostgres>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pg of live) pg.destroySync();
  });
}

export class PrivatePostgres {
  readonly port: number;
  readonly url: string;
  /** Temp root (owned by the postgres OS user): holds `data/`, the unix socket and `server.log`. */
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  #destroyed = false;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'server.log');
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** initdb into a fresh temp dir, start on `opts.port` (or a free port on 127.0.0.1), wait until ready. */
  static async create(opts: { port?: number } = {}): Promise<PrivatePostgres> {
    const port = opts.port ?? (await freePort());
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-pg-'));
    const pg = new PrivatePostgres(dir, port);
    live.add(pg);
    installExitHook();
    try {
      if (runningAsRoot()) {
        const { uid, gid } = osUser(OS_USER);
        await chown(dir, uid, gid);
      }
      await runOk(
        'initdb',
        ['-D', pg.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-instructions'],
        dir,
      );
      // Settings go in postgresql.auto.conf (owned by postgres after initdb) so a restart needs no options.
      const conf = [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        'max_connections = 100',
        'fsync = on',
        `logging_collector = off`,
        '',
      ].join('\n');
      await writeFile(join(pg.dataDir, 'postgresql.auto.conf'), conf, { flag: 'a' });
      await pg.start();
      return pg;
    } catch (err) {
      await pg.destroy().catch(() => {});
      throw err;
    }
  }

  /** Whether a live postmaster serves the data dir (`pg_ctl status`; a stale postmaster.pid counts as stopped). */
  async isRunning(): Promise<boolean> {
    if (!existsSync(join(this.dataDir, 'postmaster.pid'))) return false;
    const r = await run('pg_ctl', ['status', '-D', this.dataDir], this.dir).catch(() => undefined);
    return r?.code === 0;
  }

  /** (Re)start on the same port and data dir; resolves once the server accepts TCP connections. No-op if running. */
  async start(): Promise<void> {
    if (this.#destroyed) throw new Error('PrivatePostgres: start() after destroy()');
    if (await this.isRunning()) return;
    await runOk(
      'pg_ctl',
      ['start', '-D', this.dataDir, '-l', this.logFile, '-w', '-t', String(READY_DEADLINE_MS / 1000)],
      this.dir,
      this.logFile,
    );
    await this.waitReady();
  }

  /**
   * pg_ctl stop -m <mode> -w; resolves once the postmaster has exited. `immediate` simulates a crash (the next
   * start runs WAL recovery). No-op if already stopped.
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (this.#destroyed || !(await this.isRunning())) return;
    await runOk(
      'pg_ctl',
      ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', String(READY_DEADLINE_MS / 1000)],
      this.dir,
      this.logFile,
    );
  }

  /** Stop if running (immediate), remove the temp dir. Idempotent; never throws. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    live.delete(this);
    try {
      if (await this.isRunning()) {
        const r = await run(
          'pg_ctl',
          ['stop', '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '10'],
          this.dir,
        ).catch(() => undefined);
        if (r === undefined || r.code !== 0) this.#killPostmaster();
      }
    } catch {
      // fall through to removing the directory
    }
    await rm(this.dir, { recursive: true, force: true }).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /** Synchronous best-effort teardown, used from the process 'exit' hook. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    live.delete(this);
    try {
      if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
        const [file, argv] = pgCommand('pg_ctl', [
          'stop',
          '-D',
          this.dataDir,
          '-m',
          'immediate',
          '-w',
          '-t',
          '10',
        ]);
        const r = spawnSync(file, argv, { cwd: this.dir, stdio: 'ignore', timeout: 15_000 });
        if (r.status !== 0) this.#killPostmaster();
      }
    } catch {
      // ignore
    }
    spawnSync('rm', ['-rf', this.dir], { stdio: 'ignore' });
  }

  /** Last resort: SIGKILL the postmaster recorded in this instance's own postmaster.pid. */
  #killPostmaster(): void {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Probe with pg_isready over TCP every PROBE_INTERVAL_MS until it answers, or fail at the deadline. */
  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      const r = await run(
        'pg_isready',
        ['-q', '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', 'postgres', '-t', '2'],
        this.dir,
      );
      if (r.code === 0) return;
      if (Date.now() > deadline) {
        const log = existsSync(this.logFile)
          ? readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n')
          : '';
        throw new Error(
          `PrivatePostgres: not ready on port ${this.port} after ${READY_DEADLINE_MS} ms\n${log}`,
        );
      }
      await sleep(PROBE_INTERVAL_MS);
    }
  }
}

/** uid/gid of an OS user, read from /etc/passwd. */
function osUser(name: string): { uid: number; gid: number } {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`PrivatePostgres: OS user '${name}' not found (needed to run PostgreSQL as non-root)`);
}
