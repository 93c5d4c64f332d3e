// The one deliverer core under the Slack and write-back outboxes. Each claimed row ends sent, tried again
// later with backoff, or given up (dead); a 429 holds every delivery of its lane (all of Slack, one
// write-back service) in this process until its Retry-After has passed, spending no attempt. Each failed
// attempt goes on the run's and incident's timeline, so an outage is visible without blocking a run.
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { decideRetry, type RetryPolicy } from '../core/retry.ts';
import type { OutboxRowBase } from '../store/outbox.ts';
import { Pump } from './pump.ts';

/** A failed attempt: a rate limit (hold the lane), or an error a later attempt may or may not get past. */
export type DeliveryFailure =
  | { rateLimitMs: number; message: string }
  | { retryable: boolean; delayMs?: number; message: string };

/** What one attempt at a row came to; `sent` means the row is already marked sent. */
export type DeliveryOutcome = 'sent' | 'later' | { giveUp: string } | { failure: DeliveryFailure };

export type DeliveryCount = 'delivered' | 'failedAttempts' | 'rateLimited' | 'abandoned';

/** The outbox side a deliverer needs (SlackOutbox, WritebackOutbox). */
export interface DeliveryQueue<R extends OutboxRowBase, L extends string> {
  claim(lanes: readonly L[], limit: number, leaseMs: number): Promise<R[]>;
  retryAt(id: number, at: Date, error: string | null, counted: boolean): Promise<void>;
  markDead(id: number, error: string): Promise<void>;
  timeline(row: R, type: string, data: Record<string, unknown>): Promise<void>;
}

/** What differs between the outboxes. */
export interface DeliveryChannel<R extends OutboxRowBase, L extends string> {
  queue: DeliveryQueue<R, L>;
  /** The lanes to claim from (held lanes are left out). */
  lanes(): readonly L[];
  laneOf(row: R): L;
  /** Sends the row (and marks it sent). */
  attempt(row: R): Promise<DeliveryOutcome>;
  count(row: R, what: DeliveryCount): void;
  /** Fields naming the row in log lines and timeline events, after `outboxId`. */
  labels(row: R): Record<string, unknown>;
  /** Fields of the "rate limited" log line besides retryAfterMs. */
  laneLabels(row: R): Record<string, unknown>;
  /** Timeline event types. */
  events: { failed: string; abandoned: string };
  /** Log messages. */
  say: { rateLimited: string; failed: string; abandoned: string };
  /** The Pump's name in its log lines. */
  what: string;
}

export interface DelivererOptions {
  clock: Clock;
  logger: Logger;
  /** maxAttempts and the backoff between attempts of one row. */
  retry: RetryPolicy;
  /** Looks for due rows this often (rows queued in this process are sent at once). */
  pollMs: number;
  /** A claimed row is another deliverer's to retry after this long (this one died mid-send). */
  leaseMs?: number;
  batch?: number;
}

export class Deliverer<R extends OutboxRowBase, L extends string> {
  private readonly pausedUntil = new Map<L, number>();
  private readonly pump: Pump;

  constructor(
    private readonly channel: DeliveryChannel<R, L>,
    private readonly opts: DelivererOptions,
  ) {
    this.pump = new Pump(() => this.drain(), {
      pollMs: opts.pollMs,
      logger: opts.logger,
      what: channel.what,
    });
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
    return this.opts.clock.now().getTime();
  }

  /** The lanes not held by a 429 right now (a hold's end has its wake-up set where it began). */
  private open(): L[] {
    return this.channel.lanes().filter((l) => (this.pausedUntil.get(l) ?? 0) <= this.now());
  }

  private async drain(): Promise<void> {
    const { queue } = this.channel;
    while (this.pump.isRunning) {
      const lanes = this.open();
      if (lanes.length === 0) return;
      const rows = await queue.claim(lanes, this.opts.batch ?? 20, this.opts.leaseMs ?? 30_000);
      if (rows.length === 0) return;
      for (const row of rows) {
        const held = this.pausedUntil.get(this.channel.laneOf(row)) ?? 0;
        // Stopping, or a 429 came back for an earlier row of this lane: hand the row back untouched.
        if (!this.pump.isRunning || held > this.now()) {
          await queue.retryAt(row.id, new Date(Math.max(this.now(), held)), null, false);
          continue;
        }
        await this.deliver(row);
      }
    }
  }

  private async deliver(row: R): Promise<void> {
    const outcome = await this.channel.attempt(row);
    if (outcome === 'sent') return this.channel.count(row, 'delivered');
    if (outcome === 'later')
      return this.channel.queue.retryAt(row.id, new Date(this.now() + this.opts.pollMs), null, false);
    if ('giveUp' in outcome) return this.giveUp(row, outcome.giveUp);
    return this.failed(row, outcome.failure);
  }

  private async failed(row: R, f: DeliveryFailure): Promise<void> {
    const { channel } = this;
    const { logger, retry } = this.opts;
    const attempt = row.attempts + 1;
    const base = { outboxId: row.id, ...channel.labels(row), attempt, error: f.message };
    if ('rateLimitMs' in f) {
      channel.count(row, 'rateLimited');
      const lane = channel.laneOf(row);
      const until = Math.max(this.pausedUntil.get(lane) ?? 0, this.now() + f.rateLimitMs);
      this.pausedUntil.set(lane, until);
      logger.warn(channel.say.rateLimited, { ...channel.laneLabels(row), retryAfterMs: f.rateLimitMs });
      const at = new Date(until);
      await channel.queue.retryAt(row.id, at, f.message, false);
      await channel.queue.timeline(row, channel.events.failed, { ...base, retryAt: at.toISOString() });
      return this.pump.wakeIn(f.rateLimitMs);
    }
    const decision = decideRetry(retry, attempt, {
      nonRetryable: !f.retryable,
      ...(f.delayMs === undefined ? {} : { nextRetryDelayMs: f.delayMs }),
    });
    if (!decision.retry) return this.giveUp(row, f.message);
    channel.count(row, 'failedAttempts');
    const at = new Date(this.now() + decision.delayMs);
    logger.warn(channel.say.failed, { ...base, retryInMs: decision.delayMs });
    await channel.queue.retryAt(row.id, at, f.message, true);
    await channel.queue.timeline(row, channel.events.failed, { ...base, retryAt: at.toISOString() });
    this.pump.wakeIn(decision.delayMs);
  }

  private async giveUp(row: R, error: string): Promise<void> {
    const { channel } = this;
    channel.count(row, 'abandoned');
    const data = { outboxId: row.id, ...channel.labels(row), attempts: row.attempts + 1, error };
    this.opts.logger.warn(channel.say.abandoned, data);
    await channel.queue.markDead(row.id, error);
    await channel.queue.timeline(row, channel.events.abandoned, data);
  }
}
