import type { Io } from './io.ts';

/** Resolves on SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** What stopping may take beyond the grace: releasing leases and closing the pool, each bounded. */
export const HARD_STOP_MARGIN_MS = 5_000;

/**
 * Call once the first SIGINT/SIGTERM arrived: a second signal, or `graceMs` + 5 s without having
 * stopped, ends the process at once (a step that ignores its abort signal, a connection that hangs).
 * Returns the function to call once stopped in time.
 */
export function exitIfStuck(graceMs: number, io: Io): () => void {
  const force = (why: string) => {
    io.err(`${why}: exiting now`);
    process.exit(1);
  };
  const deadlineS = Math.round((graceMs + HARD_STOP_MARGIN_MS) / 1000);
  const timer = setTimeout(
    () => force(`still stopping ${deadlineS} s after the signal`),
    graceMs + HARD_STOP_MARGIN_MS,
  );
  timer.unref();
  const again = (s: NodeJS.Signals) => force(`second ${s}`);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  return () => {
    clearTimeout(timer);
    process.off('SIGINT', again);
    process.off('SIGTERM', again);
  };
}
