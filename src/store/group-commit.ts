// Group commit: the writes of many concurrent runs go to the database in one statement, so one fsync
// serves them all. At most one flush is in flight, which also keeps each run's writes in order.
// Awaited items flush at once; progress markers (wait: false) ride along with the next flush or go
// after `lazyFlushMs`.

export interface Pending<T> {
  item: T;
  wait: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  lazyFlushMs: number;
  maxBatch: number;
}

export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private urgent = false;
  private inFlight = false;
  private lazyTimer: NodeJS.Timeout | null = null;
  private readonly opts: GroupCommitOptions;

  constructor(
    private readonly flush: (batch: Pending<T>[]) => Promise<void>,
    opts: Partial<GroupCommitOptions> = {},
  ) {
    this.opts = { lazyFlushMs: 20, maxBatch: 512, ...opts };
  }

  enqueue(item: T, wait: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, wait, resolve, reject });
      if (wait) this.urgent = true;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.queue.length === 0) return;
    if (this.urgent) {
      if (this.lazyTimer) clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
      this.inFlight = true;
      // setImmediate lets every run that resumed from the last flush enqueue its next write first.
      setImmediate(() => void this.run());
    } else if (!this.lazyTimer) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = null;
        this.urgent = true;
        this.schedule();
      }, this.opts.lazyFlushMs);
      this.lazyTimer.unref();
    }
  }

  private async run(): Promise<void> {
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.urgent = this.queue.some((p) => p.wait);
    try {
      await this.flush(batch);
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }

  /** Resolves when everything queued so far is written (or failed). */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && !this.inFlight) return;
    await this.enqueueBarrier();
  }

  private enqueueBarrier(): Promise<void> {
    return new Promise<void>((resolve) => {
      const check = () => (this.queue.length === 0 && !this.inFlight ? resolve() : setTimeout(check, 2));
      check();
    });
  }
}
