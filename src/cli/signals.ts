import type { Io } from './io.ts';

/** What stopping may take beyond the grace: releasing leases and closing the pool, each bounded. */
export const HARD_STOP_MARGIN_MS = 5_000;

export interface Shutdown {
  /** Resolves with the first SIGINT/SIGTERM, also one that arrived while the process was starting. */
  readonly signal: Promise<NodeJS.Signals>;
  /** Call once stopped in time: the deadline and the handlers go away. */
  stopped(): void;
}

/**
 * Call first thing in a long-running command, before it opens anything. A signal that arrives while
 * the process starts (Kubernetes may stop a pod that is still waiting for its database) is kept, not
 * left to Node's default, which would end the process mid-start with runs possibly claimed: the start
 * finishes or fails, then the process stops as it would have after starting. From the first signal on,
 * a second one, or `graceMs` + 5 s without having stopped, ends the process at once (a step that
 * ignores its abort signal, a connection that hangs, a start still waiting for the database).
 */
export function onShutdown(graceMs: number, io: Io): Shutdown {
  let first: NodeJS.Signals | null = null;
  let timer: NodeJS.Timeout | undefined;
  let resolve!: (s: NodeJS.Signals) => void;
  const signal = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const force = (why: string) => {
    io.err(`${why}: exiting now`);
    process.exit(1);
  };
  const on = (s: NodeJS.Signals) => {
    if (first !== null) return force(`second ${s}`);
    first = s;
    const deadlineS = Math.round((graceMs + HARD_STOP_MARGIN_MS) / 1000);
    timer = setTimeout(
      () => force(`still stopping ${deadlineS} s after the signal`),
      graceMs + HARD_STOP_MARGIN_MS,
    );
    timer.unref();
    resolve(s);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal,
    stopped() {
      clearTimeout(timer);
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}
