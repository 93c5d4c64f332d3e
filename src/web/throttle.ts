// Sign-in is throttled per client: after 5 wrong tokens within a minute, that client's attempts are
// answered 429 until the minute is over, so guessing tokens from the sign-in form goes nowhere. Per
// process (each replica counts its own), keyed by the peer address (X-Forwarded-For is not trusted).

export const SIGN_IN_FAILURES = 5;
export const SIGN_IN_WINDOW_MS = 60_000;

export class SignInThrottle {
  private readonly failures = new Map<string, { since: number; count: number }>();

  /** Seconds until this client may try again, or 0. */
  retryAfter(client: string, now: number): number {
    const f = this.failures.get(client);
    if (!f || now - f.since >= SIGN_IN_WINDOW_MS) return 0;
    return f.count >= SIGN_IN_FAILURES ? Math.ceil((f.since + SIGN_IN_WINDOW_MS - now) / 1000) : 0;
  }

  failed(client: string, now: number): void {
    const f = this.failures.get(client);
    if (!f || now - f.since >= SIGN_IN_WINDOW_MS) this.failures.set(client, { since: now, count: 1 });
    else f.count++;
    if (this.failures.size > 10_000) this.prune(now);
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }

  private prune(now: number): void {
    for (const [k, f] of this.failures) if (now - f.since >= SIGN_IN_WINDOW_MS) this.failures.delete(k);
  }
}
