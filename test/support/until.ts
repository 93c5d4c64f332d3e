// Polling with a deadline, for conditions that have no event to wait for (a row reaching a state).
/** Polls `probe` until it returns a value (not null), or fails at the deadline. */
export async function until<T>(probe: () => Promise<T | null>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
