// Starts test/support/worker-process.ts as a child process and reads its JSON lines, so a test waits for
// "step two started and is blocked" instead of sleeping, and can SIGKILL the worker in that window.
// Children still alive when the test process exits are killed, also when a test failed half way.
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerLine {
  event: string;
  /** performance.now() in this process when the line arrived. */
  receivedAt: number;
  workerId: string;
  pid: number;
  runId?: string;
  step?: string;
  attempt?: number;
  takeover?: boolean;
  status?: string;
}

export interface WorkerOptions {
  databaseUrl: string;
  workerId: string;
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  maxRuns?: number;
  blockStep?: 'one' | 'two' | 'three';
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export class WorkerChild {
  readonly lines: WorkerLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();
  private stderrTail = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    readonly options: WorkerOptions,
    private readonly child: ChildProcess,
  ) {
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{')) this.lines.push({ ...JSON.parse(line), receivedAt: performance.now() });
      }
      this.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4_000);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  /** Spawns the worker and resolves once it has opened firebreak and is working. */
  static async start(options: WorkerOptions): Promise<WorkerChild> {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...withoutWorkerSettings(process.env),
        DATABASE_URL: options.databaseUrl,
        WORKER_ID: options.workerId,
        LEASE_MS: String(options.leaseMs),
        HEARTBEAT_MS: String(options.heartbeatMs),
        POLL_MS: String(options.pollMs),
        MAX_RUNS: String(options.maxRuns ?? 200),
        ...(options.blockStep ? { BLOCK_STEP: options.blockStep } : {}),
      },
    });
    live.add(child);
    installExitHook();
    const worker = new WorkerChild(options, child);
    try {
      await worker.waitFor((l) => l.event === 'ready', 30_000);
    } catch (err) {
      await worker.kill();
      throw err;
    }
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get workerId(): string {
    return this.options.workerId;
  }

  /** Lines seen so far that match. */
  matching(match: (line: WorkerLine) => boolean): WorkerLine[] {
    return this.lines.filter(match);
  }

  /** The first line (already seen or still to come) that matches; fails if the worker exits first. */
  async waitFor(match: (line: WorkerLine) => boolean, timeoutMs = 15_000): Promise<WorkerLine> {
    const [line] = await this.waitForCount(match, 1, timeoutMs);
    return line!;
  }

  /** Waits until `count` lines match; fails with the worker's stderr if it exits or time runs out. */
  waitForCount(
    match: (line: WorkerLine) => boolean,
    count: number,
    timeoutMs = 15_000,
  ): Promise<WorkerLine[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.matching(match);
        if (found.length >= count) return done(() => resolve(found));
        if (this.exit) return done(() => reject(this.failure(`exited (${JSON.stringify(this.exit)})`)));
      };
      const timer = setTimeout(
        () => done(() => reject(this.failure(`saw ${this.matching(match).length}/${count} lines`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGKILL: no lease is released, nothing is flushed; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.exit) this.child.kill('SIGKILL');
    await this.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private failure(what: string): Error {
    return new Error(
      `worker ${this.workerId} (pid ${this.child.pid}) ${what}\n--- stderr ---\n${this.stderrTail}`,
    );
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** The child's settings come from WorkerOptions only, never from whatever the test process inherited. */
function withoutWorkerSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { BLOCK_STEP: _b, MAX_RUNS: _m, WORKER_ID: _w, ...rest } = env;
  return rest;
}
