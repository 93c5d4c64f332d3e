// Outgoing Slack messages as rows (table slack_outbox, on the store's outbox core). Enqueueing is one
// insert, so whoever posts (the engine's notifier, a button handler) never waits for Slack; the deliverer
// claims due rows, sends them and records what became of them. Rows of one thread go out one at a time,
// in the order they were queued.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Redactor } from '../../core/redact.ts';
import type { Db } from '../../store/database.ts';
import { Outbox } from '../../store/outbox.ts';
import {
  insertApprovalRefresh,
  type OutboxKind,
  type OutboxRow,
  type PostedMessage,
  type SlackBody,
  slackMessageByKey,
  slackOutboxSpec,
} from '../../store/slack-outbox.ts';

export type { OutboxKind, OutboxRow, PostedMessage, SlackBody };

export interface OutboxMessage {
  kind: OutboxKind;
  /** Names the message a post creates; a second post with the same key is not queued. */
  key?: string;
  thread?: string;
  /** Post as a reply under the message with this key. */
  replyTo?: string;
  /** update / approval_refresh: the message (key) to change. */
  target?: string;
  channel?: string;
  body: SlackBody;
  runId?: string | null;
  incidentId?: string | null;
}

export class SlackOutbox {
  private readonly rows: Outbox<OutboxRow>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly redact: Redactor,
  ) {
    this.rows = new Outbox(db, clock, redact, slackOutboxSpec);
  }

  /** Called after each enqueue, so a deliverer in this process sends at once. */
  onEnqueued(fn: () => void): void {
    this.rows.onEnqueued(fn);
  }

  /**
   * Queues a message; false when its key was queued before (so posting is idempotent). A message
   * without a key gets one of its own, so an insert retried after a dropped connection (its first try
   * may have landed) queues it once.
   */
  enqueue(m: OutboxMessage): Promise<boolean> {
    const key = m.key ?? `once:${randomUUID()}`;
    return this.rows.enqueue(
      [
        m.kind,
        key,
        m.thread ?? null,
        m.replyTo ?? null,
        m.target ?? null,
        m.channel ?? null,
        this.redact.json(m.body),
        m.runId ?? null,
        m.incidentId ?? null,
      ],
      'queueing a Slack message',
    );
  }

  /** Queues a re-render of a gate's message unless one is queued and not yet picked up. */
  async enqueueRefresh(m: { approvalId: string; thread: string; runId: string; incidentId: string | null }) {
    const queued = await insertApprovalRefresh(this.db, {
      thread: m.thread,
      target: `approval:${m.approvalId}`,
      body: JSON.stringify({ text: '', approvalId: m.approvalId } satisfies SlackBody),
      runId: m.runId,
      incidentId: m.incidentId,
      now: this.clock.now(),
    });
    if (queued) this.rows.poke();
  }

  claim(limit: number, leaseMs: number): Promise<OutboxRow[]> {
    return this.rows.claim(limit, leaseMs);
  }

  /** Where a keyed message went, once it was sent. */
  message(key: string): Promise<PostedMessage | null> {
    return slackMessageByKey(this.db, key);
  }

  markSent(id: number, channel: string | null, ts: string | null): Promise<void> {
    return this.rows.markSent(id, [channel, ts]);
  }

  /** Tries again at `at`; `counted` false (rate limits, waiting for a parent) spends no attempt. */
  retryAt(id: number, at: Date, error: string | null, counted: boolean): Promise<void> {
    return this.rows.retryAt(id, at, error, counted);
  }

  markDead(id: number, error: string): Promise<void> {
    return this.rows.markDead(id, error);
  }

  /** A delivery problem on the timeline of the row's run and incident (rows of neither are only counted). */
  timeline(row: OutboxRow, type: string, data: Record<string, unknown>): Promise<void> {
    return this.rows.timeline(row, type, data);
  }
}
