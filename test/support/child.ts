// Child processes for tests that need real ones: `firebreak serve` and the CLI as an operator runs them,
// and small holder scripts. Output is collected as it comes, so a test waits for a line (an event), never
// for a fixed time. Children still alive when the test process exits are killed.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/firebreak.js', import.meta.url));

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** The environment a child starts from: the test's own settings never leak into it. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'USER']) if (process.env[k]) env[k] = process.env[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(readonly proc: ChildProcess) {
    live.add(proc);
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.notify();
    });
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  static spawn(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Child {
    return new Child(spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves with the first match of `re` in stdout (already there or still to come). */
  waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.stdout.match(re);
        if (m) return done(() => resolve(m));
        if (this.exit) return done(() => reject(this.failure(`exited (${JSON.stringify(this.exit)})`, re)));
      };
      const timer = setTimeout(() => done(() => reject(this.failure('timed out', re))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGKILL (nothing flushed, nothing released); resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.exit) this.proc.kill(signal);
    await this.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private failure(what: string, re: RegExp): Error {
    return new Error(
      `pid ${this.proc.pid} ${what} waiting for ${re}\n--- stdout ---\n${this.stdout.slice(-3000)}\n--- stderr ---\n${this.stderr.slice(-3000)}`,
    );
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `firebreak <args>` in a process of its own, as an operator's shell runs it. */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const child = Child.spawn([BIN, ...args], cleanEnv({ LOG_LEVEL: 'warn', ...env }));
  child.proc.stdin?.end();
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

export interface ServeProcess extends AsyncDisposable {
  child: Child;
  url: string;
  stop(): Promise<void>;
}

/** `firebreak serve` on a random loopback port, resolved once it prints where it listens. */
export async function startServe(env: Record<string, string | undefined>): Promise<ServeProcess> {
  const child = Child.spawn(
    [BIN, 'serve'],
    cleanEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', FIREBREAK_POLL_MS: '100', ...env }),
  );
  let url: string;
  try {
    url = (await child.waitFor(/firebreak listening on (http:\/\/\S+)/, 60_000))[1]!;
  } catch (err) {
    await child.kill();
    throw err;
  }
  const stop = async () => {
    await child.kill('SIGTERM');
  };
  return { child, url, stop, [Symbol.asyncDispose]: stop };
}
