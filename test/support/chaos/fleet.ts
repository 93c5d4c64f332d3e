// The processes of a chaos run: `firebreak serve` and `firebreak worker` started from bin/firebreak.js
// as an operator would, each reaching PostgreSQL through a TCP proxy of its own (its "network path",
// which a fault can cut). A process that is killed or dies is started again (a new incarnation with a new
// worker id, like a restarted pod); a process that never becomes ready is counted, not hidden.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TcpProxy } from '../tcp-proxy.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READY_WITHIN_MS = 30_000;

export type Role = 'serve' | 'worker';

interface Incarnation {
  child: ChildProcess;
  workerId: string;
  /** serve: its base URL once it listens. */
  url: string | null;
  ready: boolean;
  exited: Promise<void>;
  killed: boolean;
}

export interface Member {
  name: string;
  role: Role;
  proxy: TcpProxy;
  incarnations: number;
  current: Incarnation | null;
}

export interface FleetOptions {
  /** The database every process uses (each through its own proxy). */
  databaseUrl: string;
  serves: number;
  workers: number;
  /** Environment of every process (tokens, runbooks folder, …) on top of this process's. */
  env: Record<string, string>;
  /** Environment of the serve processes only. */
  serveEnv?: Record<string, string>;
  /** Each process's stdout and stderr go to `<logDir>/<name>.log`. */
  logDir: string;
}

export class Fleet {
  readonly members: Member[] = [];
  /** Starts that did not become ready within 30 s (a process hung at start). */
  neverReady: string[] = [];
  /** Exits nobody asked for (a crash at start, say), with the last lines the process wrote. */
  crashes: { workerId: string; code: number | null; tail: string }[] = [];
  private stopping = false;
  /** Every child still running, whatever its member's current incarnation is: stop() ends them all. */
  private readonly live = new Set<ChildProcess>();
  /** Members between a kill and the start of their next incarnation: a second kill waits its turn. */
  private readonly restarting = new Set<Member>();

  private constructor(private readonly opts: FleetOptions) {}

  static async start(opts: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(opts);
    const target = new URL(opts.databaseUrl);
    const roles: Role[] = [
      ...Array.from({ length: opts.serves }, () => 'serve' as const),
      ...Array.from({ length: opts.workers }, () => 'worker' as const),
    ];
    for (const [i, role] of roles.entries()) {
      const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port) });
      const n = role === 'serve' ? i + 1 : i + 1 - opts.serves;
      fleet.members.push({ name: `${role}-${n}`, role, proxy, incarnations: 0, current: null });
    }
    const launched = Promise.all(fleet.members.map((m) => fleet.launch(m)));
    const late = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the fleet did not start within 30 s')), READY_WITHIN_MS).unref(),
    );
    try {
      await Promise.race([launched, late]);
    } catch (err) {
      await fleet.stop(1_000);
      throw err;
    }
    if (fleet.members.some((m) => !m.current?.ready)) {
      await fleet.stop(1_000);
      throw new Error(
        `the fleet did not start: ${fleet.crashes.map((c) => `${c.workerId}: ${c.tail}`).join('\n')}`,
      );
    }
    return fleet;
  }

  get serves(): Member[] {
    return this.members.filter((m) => m.role === 'serve');
  }

  get workers(): Member[] {
    return this.members.filter((m) => m.role === 'worker');
  }

  /** Base URLs of the serve processes that answer now. */
  serveUrls(): string[] {
    return this.serves.flatMap((m) => (m.current?.ready && m.current.url ? [m.current.url] : []));
  }

  /**
   * SIGKILL, then start it again at once. Resolves when the new incarnation is spawned (not ready).
   * Two kills of one member at once (a scheduled and a random one) kill one incarnation each, in turn.
   */
  async kill(member: Member): Promise<string | null> {
    while (this.restarting.has(member)) await new Promise((r) => setTimeout(r, 20));
    const cur = member.current;
    if (!cur) return null;
    this.restarting.add(member);
    try {
      cur.killed = true;
      cur.child.kill('SIGKILL');
      await cur.exited;
      void this.launch(member);
    } finally {
      this.restarting.delete(member);
    }
    return cur.workerId;
  }

  /** SIGTERM everything; what has not exited after `graceMs` is SIGKILLed. Returns the slowest exit. */
  async stop(graceMs: number): Promise<number> {
    this.stopping = true;
    const started = Date.now();
    let slowest = 0;
    await Promise.all(
      this.members.map(async (m) => {
        const cur = m.current;
        if (!cur) return;
        cur.killed = true;
        cur.child.kill('SIGTERM');
        const timer = setTimeout(() => cur.child.kill('SIGKILL'), graceMs);
        await cur.exited;
        clearTimeout(timer);
        slowest = Math.max(slowest, Date.now() - started);
      }),
    );
    // Anything else still running (there should be nothing) goes too.
    await Promise.all(
      [...this.live].map(async (child) => {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }),
    );
    await Promise.all(this.members.map((m) => m.proxy.close()));
    return slowest;
  }

  private log(member: Member, text: string): void {
    appendFileSync(join(this.opts.logDir, `${member.name}.log`), text);
  }

  private launch(member: Member): Promise<void> {
    if (this.stopping) return Promise.resolve();
    member.incarnations += 1;
    const workerId = `${member.name}.${member.incarnations}`;
    const child = spawn(process.execPath, ['bin/firebreak.js', member.role], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...this.opts.env,
        ...(member.role === 'serve' ? this.opts.serveEnv : {}),
        DATABASE_URL: member.proxy.urlFor(this.opts.databaseUrl),
        FIREBREAK_WORKER_ID: workerId,
        PORT: '0',
        HOST: '127.0.0.1',
      },
    });
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    const inc: Incarnation = {
      child,
      workerId,
      url: null,
      ready: false,
      killed: false,
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    member.current = inc;
    this.log(member, `\n==== ${workerId} pid ${child.pid} at ${new Date().toISOString()}\n`);
    let tail = '';
    let becameReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      becameReady = resolve;
    });
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.log(member, text);
      tail = (tail + text).slice(-2_000);
      const listening = /firebreak listening on (http:\/\/\S+)/.exec(tail);
      if (member.role === 'serve' && listening && !inc.ready) {
        inc.url = listening[1]!;
        inc.ready = true;
        becameReady();
      }
      if (member.role === 'worker' && !inc.ready && tail.includes(`firebreak worker ${workerId}`)) {
        inc.ready = true;
        becameReady();
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    void inc.exited.then(() => {
      this.log(member, `==== ${workerId} exited (${child.exitCode ?? child.signalCode})\n`);
      if (inc.killed || this.stopping) return;
      // Nobody asked it to go: restart it after a second, as a process supervisor would.
      this.crashes.push({ workerId, code: child.exitCode, tail: tail.slice(-400) });
      setTimeout(() => void this.launch(member), 1_000);
    });
    const timer = setTimeout(() => {
      if (!inc.ready && !inc.killed && child.exitCode === null) this.neverReady.push(workerId);
    }, READY_WITHIN_MS);
    return Promise.race([ready, inc.exited]).finally(() => clearTimeout(timer));
  }
}
