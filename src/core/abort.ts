// Racing work against an AbortSignal without leaking it. Node keeps a signal made by AbortSignal.any()
// or AbortSignal.timeout() alive while it has an 'abort' listener and has not aborted (so that it
// can still fire). A listener left on a signal that never aborts therefore holds everything its closure
// reaches for the life of the process: one listener per step attempt kept every finished run's
// executor in memory (~16 KB a run, bench:approval).

/**
 * Settles with `fn`'s result, or rejects with the signal's reason if the signal aborts first (`fn` is
 * then abandoned, not stopped: it should watch the signal itself). `fn` is not called on a signal
 * that has already aborted. The listener is removed as soon as the race is decided.
 */
export async function raceAbort<T>(signal: AbortSignal, fn: () => T | Promise<T>): Promise<Awaited<T>> {
  if (signal.aborted) throw signal.reason;
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (it never rejects): a wait a shutdown cuts short. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
