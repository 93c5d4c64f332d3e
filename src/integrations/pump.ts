// The loop an outbox deliverer runs (Slack's, the write-back's): one pass at a time, another right after
// it when poked meanwhile, a poll as the fallback, and wake-ups at the times a backoff or a 429 ends.
import type { Logger } from '../core/logger.ts';

export class Pump {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private pumping: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly opts: { pollMs: number; logger: Logger; what: string },
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const t = setInterval(() => this.poke(), this.opts.pollMs);
    t.unref();
    this.timers.add(t);
    this.poke();
  }

  /** Stops polling and waits for the pass under way. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.pumping;
  }

  poke(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pass()
      .catch((err) =>
        this.opts.logger.warn(`${this.opts.what} pass failed`, { error: (err as Error).message }),
      )
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  wakeIn(ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.poke();
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}
