// Sends the write-back outbox. Each row ends sent, tried again later, or given up (dead): a 429 holds
// that service's deliveries in this process until its Retry-After has passed (and spends no attempt);
// a 5xx, 408 or a network error backs off (a Retry-After on it is respected); any other 4xx is dead at
// once, recorded on the run's and incident's timeline, never retried. Nothing here blocks a run.
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { decideRetry, type RetryPolicy } from '../../core/retry.ts';
import { ApiError } from '../api-error.ts';
import { Pump } from '../pump.ts';
import type { WritebackOutbox, WritebackRow, WritebackService } from './outbox.ts';
import type { Sender } from './senders.ts';

export interface WritebackCounts {
  delivered: number;
  failedAttempts: number;
  rateLimited: number;
  abandoned: number;
}

export interface WritebackDelivererDeps {
  outbox: WritebackOutbox;
  senders: Partial<Record<WritebackService, Sender>>;
  clock: Clock;
  logger: Logger;
  retry: RetryPolicy;
  /** Looks for due rows this often (rows queued in this process are sent at once). */
  pollMs: number;
  /** A claimed row is another deliverer's to retry after this long (this one died mid-send). */
  leaseMs?: number;
  batch?: number;
}

type Failure =
  | { rateLimitMs: number; message: string }
  | { retryable: boolean; delayMs?: number; message: string };

/** A 429 without Retry-After waits this long. */
const DEFAULT_RATE_LIMIT_MS = 1_000;

export class WritebackDeliverer {
  private readonly counts = new Map<WritebackService, WritebackCounts>();
  private readonly pausedUntil = new Map<WritebackService, number>();

  private readonly pump: Pump;

  constructor(private readonly deps: WritebackDelivererDeps) {
    this.pump = new Pump(() => this.drain(), {
      pollMs: deps.pollMs,
      logger: deps.logger,
      what: 'write-back delivery',
    });
  }

  /** This process's totals per service, for /metrics and tests. */
  snapshot(): Record<string, WritebackCounts> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, { ...v }]));
  }

  private count(service: WritebackService, what: keyof WritebackCounts): void {
    const c = this.counts.get(service) ?? { delivered: 0, failedAttempts: 0, rateLimited: 0, abandoned: 0 };
    c[what]++;
    this.counts.set(service, c);
  }

  start(): void {
    this.pump.start();
  }

  stop(): Promise<void> {
    return this.pump.stop();
  }

  poke(): void {
    this.pump.poke();
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  private wakeIn(ms: number): void {
    this.pump.wakeIn(ms);
  }

  /** The services not held by a 429 right now (a hold's end has its wake-up set where it began). */
  private open(): WritebackService[] {
    const all = Object.keys(this.deps.senders) as WritebackService[];
    return all.filter((s) => (this.pausedUntil.get(s) ?? 0) <= this.now());
  }

  private async drain(): Promise<void> {
    const { outbox } = this.deps;
    while (this.pump.isRunning) {
      const services = this.open();
      if (services.length === 0) return;
      const rows = await outbox.claim(services, this.deps.batch ?? 20, this.deps.leaseMs ?? 30_000);
      if (rows.length === 0) return;
      for (const row of rows) {
        const held = this.pausedUntil.get(row.service) ?? 0;
        // Stopping, or a 429 came back for an earlier row of this service: hand the row back untouched.
        if (!this.pump.isRunning || held > this.now()) {
          await outbox.retryAt(row.id, new Date(Math.max(this.now(), held)), null, false);
          continue;
        }
        await this.deliver(row);
      }
    }
  }

  private async deliver(row: WritebackRow): Promise<void> {
    const { outbox } = this.deps;
    const send = this.deps.senders[row.service];
    if (!send) return this.giveUp(row, `${row.service} is not configured`);
    let result: Awaited<ReturnType<Sender>>;
    try {
      result = await send(row);
    } catch (err) {
      return this.failed(row, classify(err));
    }
    if (result === 'later')
      return outbox.retryAt(row.id, new Date(this.now() + this.deps.pollMs), null, false);
    await outbox.markSent(row.id, result.remoteId);
    this.count(row.service, 'delivered');
  }

  private async failed(row: WritebackRow, f: Failure): Promise<void> {
    const { outbox, logger, retry } = this.deps;
    const attempt = row.attempts + 1;
    const base = { outboxId: row.id, service: row.service, op: row.op, attempt, error: f.message };
    if ('rateLimitMs' in f) {
      this.count(row.service, 'rateLimited');
      const until = Math.max(this.pausedUntil.get(row.service) ?? 0, this.now() + f.rateLimitMs);
      this.pausedUntil.set(row.service, until);
      logger.warn('write-back rate limited; holding delivery', {
        service: row.service,
        retryAfterMs: f.rateLimitMs,
      });
      await outbox.retryAt(row.id, new Date(until), f.message, false);
      await outbox.timeline(row, 'writeback.delivery_failed', {
        ...base,
        retryAt: new Date(until).toISOString(),
      });
      return this.wakeIn(f.rateLimitMs);
    }
    const decision = decideRetry(retry, attempt, {
      nonRetryable: !f.retryable,
      ...(f.delayMs === undefined ? {} : { nextRetryDelayMs: f.delayMs }),
    });
    if (!decision.retry) return this.giveUp(row, f.message);
    this.count(row.service, 'failedAttempts');
    const at = new Date(this.now() + decision.delayMs);
    logger.warn('write-back delivery failed; will retry', { ...base, retryInMs: decision.delayMs });
    await outbox.retryAt(row.id, at, f.message, true);
    await outbox.timeline(row, 'writeback.delivery_failed', { ...base, retryAt: at.toISOString() });
    this.wakeIn(decision.delayMs);
  }

  private async giveUp(row: WritebackRow, error: string): Promise<void> {
    const { outbox, logger } = this.deps;
    this.count(row.service, 'abandoned');
    const data = { outboxId: row.id, service: row.service, op: row.op, attempts: row.attempts + 1, error };
    logger.warn('write-back given up', data);
    await outbox.markDead(row.id, error);
    await outbox.timeline(row, 'writeback.delivery_abandoned', data);
  }
}

export function classify(err: unknown): Failure {
  if (err instanceof ApiError) {
    if (err.status === 429) {
      return { rateLimitMs: err.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS, message: err.message };
    }
    return {
      retryable: !err.nonRetryable,
      ...(err.retryAfterMs === undefined ? {} : { delayMs: err.retryAfterMs }),
      message: err.message,
    };
  }
  // Network errors, timeouts, an answer that was not what the API documents: a later try may pass.
  return { retryable: true, message: (err as Error).message ?? String(err) };
}
