// Sends the outbox. Each row ends sent, tried again later with backoff, or given up; a 429 holds every
// delivery of this process until its Retry-After has passed. Each failed attempt goes on the run's and
// incident's timeline and into the counters, so a Slack outage is visible without ever blocking a run.
import { webApi } from '@slack/bolt';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { decideRetry, type RetryPolicy } from '../../core/retry.ts';
import type { Store } from '../../store/store.ts';
import { Pump } from '../pump.ts';
import type { SlackCounters } from './counters.ts';
import { approvalStateMessage } from './messages.ts';
import type { OutboxRow, SlackOutbox } from './outbox.ts';
import type { WebClient } from './web-client.ts';

export interface DelivererDeps {
  outbox: SlackOutbox;
  client: WebClient;
  store: Pick<Store, 'getApproval'>;
  clock: Clock;
  logger: Logger;
  counters: SlackCounters;
  /** maxAttempts and the backoff between attempts of one message. */
  retry: RetryPolicy;
  /** Looks for due rows this often (rows queued in this process are sent at once). */
  pollMs: number;
  /** A claimed row is another deliverer's to retry after this long (this one died mid-send). */
  leaseMs?: number;
  batch?: number;
}

type Prepared = { method: string; args: Record<string, unknown> } | { later: true } | { giveUp: string };
type Failure = { rateLimitMs: number; message: string } | { retryable: boolean; message: string };

const METHOD = {
  post: 'chat.postMessage',
  ephemeral: 'chat.postEphemeral',
  update: 'chat.update',
  approval_refresh: 'chat.update',
} as const;

// Slack errors (HTTP 200, ok: false) that a later attempt can get past; any other one never will.
const RETRYABLE = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export class SlackDeliverer {
  /** 429: nothing goes out before this (ms since epoch, on the deliverer's clock). */
  private pausedUntil = 0;

  private readonly pump: Pump;

  constructor(private readonly deps: DelivererDeps) {
    this.pump = new Pump(() => this.drain(), {
      pollMs: deps.pollMs,
      logger: deps.logger,
      what: 'slack delivery',
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
    return this.deps.clock.now().getTime();
  }

  private wakeIn(ms: number): void {
    this.pump.wakeIn(ms);
  }

  private async drain(): Promise<void> {
    const { outbox } = this.deps;
    while (this.pump.isRunning) {
      const paused = this.pausedUntil - this.now();
      if (paused > 0) return this.wakeIn(paused);
      const rows = await outbox.claim(this.deps.batch ?? 20, this.deps.leaseMs ?? 30_000);
      if (rows.length === 0) return;
      for (const row of rows) {
        // Stopping, or a 429 came back for an earlier row: hand the rest back untouched.
        if (!this.pump.isRunning || this.pausedUntil > this.now()) {
          await outbox.retryAt(row.id, new Date(Math.max(this.now(), this.pausedUntil)), null, false);
          continue;
        }
        await this.deliver(row);
      }
    }
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { outbox, client, counters } = this.deps;
    let call: Prepared;
    try {
      call = await this.prepare(row);
    } catch (err) {
      return this.failed(row, { retryable: true, message: `preparing: ${(err as Error).message}` });
    }
    if ('later' in call) return outbox.retryAt(row.id, new Date(this.now() + this.deps.pollMs), null, false);
    if ('giveUp' in call) return this.giveUp(row, call.giveUp);
    let result: Record<string, unknown>;
    try {
      result = (await client.apiCall(call.method, call.args)) as unknown as Record<string, unknown>;
    } catch (err) {
      return this.failed(row, classify(err));
    }
    const ts = (result.ts ?? result.message_ts ?? null) as string | null;
    await outbox.markSent(row.id, (result.channel as string | undefined) ?? null, ts);
    counters.delivered++;
  }

  /** The Web API call for a row; replies and updates first need the message they refer to. */
  private async prepare(row: OutboxRow): Promise<Prepared> {
    const { outbox } = this.deps;
    const { text, blocks, user, broadcast } = row.body;
    const content = { text, ...(blocks ? { blocks } : {}) };
    switch (row.kind) {
      case 'ephemeral':
        return { method: METHOD.ephemeral, args: { channel: row.channel, user, ...content } };
      case 'post': {
        const parent = row.replyTo ? await outbox.message(row.replyTo) : null;
        if (parent?.status === 'pending') return { later: true };
        // A thread whose first message was given up still gets its messages, in the channel itself.
        const thread =
          parent?.status === 'sent' && parent.ts
            ? {
                channel: parent.channel ?? row.channel,
                thread_ts: parent.ts,
                reply_broadcast: broadcast === true,
              }
            : { channel: row.channel };
        return { method: METHOD.post, args: { ...thread, ...content, unfurl_links: false } };
      }
      case 'update':
      case 'approval_refresh': {
        const target = row.target ? await outbox.message(row.target) : null;
        if (target?.status === 'pending') return { later: true };
        if (target?.status !== 'sent' || !target.ts)
          return { giveUp: `message ${row.target} was never posted` };
        let body = content;
        if (row.kind === 'approval_refresh') {
          const approval = await this.deps.store.getApproval(row.body.approvalId ?? '');
          if (!approval) return { giveUp: `approval ${row.body.approvalId} not found` };
          const state = approvalStateMessage(target.body, approval);
          body = { text: state.text, ...(state.blocks ? { blocks: state.blocks } : {}) };
        }
        return { method: METHOD.update, args: { channel: target.channel, ts: target.ts, ...body } };
      }
    }
  }

  private async failed(row: OutboxRow, f: Failure): Promise<void> {
    const { outbox, counters, logger, retry } = this.deps;
    const attempt = row.attempts + 1;
    const base = { outboxId: row.id, method: METHOD[row.kind], attempt, error: f.message };
    if ('rateLimitMs' in f) {
      counters.rateLimited++;
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + f.rateLimitMs);
      const at = new Date(this.pausedUntil);
      logger.warn('slack rate limited; holding delivery', { retryAfterMs: f.rateLimitMs });
      await outbox.retryAt(row.id, at, f.message, false);
      await outbox.timeline(row, 'slack.delivery_failed', { ...base, retryAt: at.toISOString() });
      return this.wakeIn(f.rateLimitMs);
    }
    const decision = decideRetry(retry, attempt, { nonRetryable: !f.retryable });
    if (!decision.retry) return this.giveUp(row, f.message);
    counters.failedAttempts++;
    const delay = decision.delayMs;
    const at = new Date(this.now() + delay);
    logger.warn('slack delivery failed; will retry', { ...base, retryInMs: delay });
    await outbox.retryAt(row.id, at, f.message, true);
    await outbox.timeline(row, 'slack.delivery_failed', { ...base, retryAt: at.toISOString() });
    this.wakeIn(delay);
  }

  private async giveUp(row: OutboxRow, error: string): Promise<void> {
    const { outbox, counters, logger } = this.deps;
    counters.abandoned++;
    const data = { outboxId: row.id, method: METHOD[row.kind], attempts: row.attempts + 1, error };
    logger.warn('slack message given up', data);
    await outbox.markDead(row.id, error);
    await outbox.timeline(row, 'slack.delivery_abandoned', data);
  }
}

export function classify(err: unknown): Failure {
  if (err instanceof webApi.WebAPIRateLimitedError) {
    return {
      rateLimitMs: err.retryAfter * 1000,
      message: `rate limited (HTTP 429), retry after ${err.retryAfter} s`,
    };
  }
  if (err instanceof webApi.WebAPIPlatformError) {
    const code = err.data.error;
    if (code === 'ratelimited') return { rateLimitMs: 1000, message: 'rate limited (ratelimited)' };
    return { retryable: RETRYABLE.has(code), message: `slack error ${code}` };
  }
  if (err instanceof webApi.WebAPIHTTPError) return { retryable: true, message: `HTTP ${err.statusCode}` };
  if (err instanceof webApi.WebAPIRequestError) return { retryable: true, message: err.original.message };
  return { retryable: true, message: (err as Error).message ?? String(err) };
}
