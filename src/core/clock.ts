// Time is passed in: the engine asks the clock, so tests move time instead of sleeping.

export interface Clock {
  now(): Date;
  /** Resolves after `ms` (or rejects with the signal's reason when aborted first). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock tests move by hand. Sleeps resolve when the clock passes their due time. */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: { due: number; resolve: () => void }[] = [];

  constructor(start: Date = new Date('2026-01-01T00:00:00Z')) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { due: this.current + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== entry);
          reject(signal.reason);
        },
        { once: true },
      );
      this.release();
    });
  }

  advance(ms: number): void {
    this.current += ms;
    this.release();
  }

  private release(): void {
    const due = this.sleepers.filter((s) => s.due <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.due > this.current);
    for (const s of due) s.resolve();
  }
}
