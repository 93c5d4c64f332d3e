// Outgoing Slack messages as rows (table slack_outbox). Enqueueing is one insert, so whoever posts (the
// engine's notifier, a button handler) never waits for Slack; the deliverer claims due rows, sends them and
// records what became of them. Rows of one thread go out one at a time, in the order they were queued.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { Redactor } from '../../core/redact.ts';
import type { Queryable, Row } from '../../db/driver.ts';
import { retryTransient } from '../../db/transient.ts';
import { str } from '../../store/rows.ts';

export type OutboxKind = 'post' | 'ephemeral' | 'update' | 'approval_refresh';

/** What Slack is sent. `user` for ephemerals; `broadcast` also shows a thread reply in the channel. */
export interface SlackBody {
  text: string;
  blocks?: unknown[];
  user?: string;
  broadcast?: boolean;
  /** approval_refresh: the gate whose message is rendered again from its current state. */
  approvalId?: string;
}

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

export interface OutboxRow {
  id: number;
  kind: OutboxKind;
  key: string | null;
  thread: string | null;
  replyTo: string | null;
  target: string | null;
  channel: string | null;
  body: SlackBody;
  runId: string | null;
  incidentId: string | null;
  attempts: number;
}

export interface PostedMessage {
  status: 'pending' | 'sent' | 'dead';
  channel: string | null;
  ts: string | null;
  body: SlackBody;
}

/** How long a queued message's insert is retried through a database blip before the caller hears of it. */
const ENQUEUE_RETRY_MS = 10_000;

const INSERT_SQL = `
INSERT INTO slack_outbox (kind, key, thread, reply_to, target, channel, body, run_id, incident_id, status,
  next_attempt_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, 'pending', $10, $10)
ON CONFLICT (key) DO NOTHING
RETURNING id`;

// A refresh renders the gate's state when it is sent, so one not yet picked up covers a later decision too.
const INSERT_REFRESH_SQL = `
INSERT INTO slack_outbox (kind, thread, target, body, run_id, incident_id, status, next_attempt_at, created_at)
SELECT 'approval_refresh', $1, $2, $3::text::jsonb, $4, $5, 'pending', $6, $6
WHERE NOT EXISTS (
  SELECT 1 FROM slack_outbox WHERE target = $2 AND kind = 'approval_refresh' AND status = 'pending'
    AND (locked_until IS NULL OR locked_until < $6))
RETURNING id`;

// Due rows whose thread has nothing older still pending, claimed for leaseMs so that several server
// processes can deliver without sending a row twice (unless a deliverer dies mid-send: at least once).
const CLAIM_SQL = `
UPDATE slack_outbox SET locked_until = $2
WHERE id IN (
  SELECT o.id FROM slack_outbox o
  WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until < $1)
    AND (o.thread IS NULL OR NOT EXISTS (
      SELECT 1 FROM slack_outbox e WHERE e.thread = o.thread AND e.status = 'pending' AND e.id < o.id))
  ORDER BY o.id
  LIMIT $3
  FOR UPDATE SKIP LOCKED)
RETURNING *`;

export class SlackOutbox {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly redact: Redactor,
  ) {}

  /** Called after each enqueue, so a deliverer in this process sends at once. */
  onEnqueued(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * Queues a message; false when its key was queued before (so posting is idempotent). A message
   * without a key gets one of its own, so an insert retried after a dropped connection (its first try
   * may have landed) queues it once.
   */
  async enqueue(m: OutboxMessage): Promise<boolean> {
    const key = m.key ?? `once:${randomUUID()}`;
    const deadline = Date.now() + ENQUEUE_RETRY_MS;
    const insert = () =>
      this.db.query(INSERT_SQL, [
        m.kind,
        key,
        m.thread ?? null,
        m.replyTo ?? null,
        m.target ?? null,
        m.channel ?? null,
        this.redact.json(m.body),
        m.runId ?? null,
        m.incidentId ?? null,
        this.clock.now(),
      ]);
    const rows = await retryTransient(insert, {
      what: 'queueing a Slack message',
      giveUp: () => Date.now() > deadline,
    });
    if (rows.length > 0) this.poke();
    return rows.length > 0;
  }

  /** Queues a re-render of a gate's message unless one is queued and not yet picked up. */
  async enqueueRefresh(m: { approvalId: string; thread: string; runId: string; incidentId: string | null }) {
    const rows = await this.db.query(INSERT_REFRESH_SQL, [
      m.thread,
      `approval:${m.approvalId}`,
      JSON.stringify({ text: '', approvalId: m.approvalId } satisfies SlackBody),
      m.runId,
      m.incidentId,
      this.clock.now(),
    ]);
    if (rows.length > 0) this.poke();
  }

  async claim(limit: number, leaseMs: number): Promise<OutboxRow[]> {
    const now = this.clock.now();
    const rows = await this.db.query(CLAIM_SQL, [now, new Date(now.getTime() + leaseMs), limit]);
    return rows.map(toRow).sort((a, b) => a.id - b.id);
  }

  /** Where a keyed message went, once it was sent. */
  async message(key: string): Promise<PostedMessage | null> {
    const [row] = await this.db.query('SELECT status, channel, ts, body FROM slack_outbox WHERE key = $1', [
      key,
    ]);
    if (!row) return null;
    return {
      status: row.status as PostedMessage['status'],
      channel: (row.channel as string | null) ?? null,
      ts: (row.ts as string | null) ?? null,
      body: row.body as SlackBody,
    };
  }

  async markSent(id: number, channel: string | null, ts: string | null): Promise<void> {
    await this.db.query(
      `UPDATE slack_outbox SET status = 'sent', channel = COALESCE($2, channel), ts = $3, sent_at = $4,
       locked_until = NULL, attempts = attempts + 1 WHERE id = $1`,
      [id, channel, ts, this.clock.now()],
    );
  }

  /** Tries again at `at`; `counted` false (rate limits, waiting for a parent) spends no attempt. */
  async retryAt(id: number, at: Date, error: string | null, counted: boolean): Promise<void> {
    await this.db.query(
      `UPDATE slack_outbox SET next_attempt_at = $2, last_error = COALESCE($3, last_error), locked_until = NULL,
       attempts = attempts + $4 WHERE id = $1`,
      [id, at, error, counted ? 1 : 0],
    );
  }

  async markDead(id: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE slack_outbox SET status = 'dead', last_error = $2, locked_until = NULL, attempts = attempts + 1
       WHERE id = $1`,
      [id, error],
    );
  }

  /** A delivery problem on the timeline of the row's run and incident (rows of neither are only counted). */
  async timeline(row: OutboxRow, type: string, data: Record<string, unknown>): Promise<void> {
    if (!row.runId && !row.incidentId) return;
    await this.db.query(
      `INSERT INTO events (run_id, incident_id, type, data, at) VALUES ($1, $2, $3, $4::text::jsonb, $5)`,
      [row.runId, row.incidentId, type, this.redact.json(data), this.clock.now()],
    );
  }

  private poke(): void {
    for (const l of this.listeners) l();
  }
}

function toRow(r: Row): OutboxRow {
  return {
    id: Number(r.id),
    kind: r.kind as OutboxKind,
    key: str(r.key),
    thread: str(r.thread),
    replyTo: str(r.reply_to),
    target: str(r.target),
    channel: str(r.channel),
    body: r.body as SlackBody,
    runId: str(r.run_id),
    incidentId: str(r.incident_id),
    attempts: Number(r.attempts),
  };
}
