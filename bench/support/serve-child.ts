// `firebreak serve` as a child process for benchmarks, so the load tool and the server it measures never
// share an event loop. Resolves once GET /readyz answers.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/private-postgres.ts';

export interface ServeChild {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** `env` adds to this process's environment; PORT and HOST are chosen here. */
export async function startServeChild(env: Record<string, string>): Promise<ServeChild> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/firebreak.js', 'serve'], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const server: ServeChild = {
    url: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${server.url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return server;
    if (child.exitCode !== null || Date.now() > deadline) {
      await server.stop();
      throw new Error(`firebreak serve did not become ready (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
