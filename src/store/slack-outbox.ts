// slack_outbox: outgoing Slack messages, on the outbox core (outbox.ts). Rows of one thread go out in
// order; a sent row records the channel and ts Slack answered with, so replies and updates can find it.
import type { Db, Row } from './database.ts';
import type { OutboxSpec } from './outbox.ts';
import { str } from './rows.ts';

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

export const slackOutboxSpec: OutboxSpec<OutboxRow> = {
  table: 'slack_outbox',
  columns: ['kind', 'key', 'thread', 'reply_to', 'target', 'channel', 'body', 'run_id', 'incident_id'],
  orderedBy: 'thread',
  sentSet: 'channel = COALESCE($3, channel), ts = $4',
  toRow: (r: Row): OutboxRow => ({
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
  }),
};

/**
 * Queues a re-render of a gate's message unless one is queued and not yet picked up (a refresh renders
 * the gate's state when it is sent, so it covers a later decision too). True when queued.
 */
export async function insertApprovalRefresh(
  db: Db,
  p: { thread: string; target: string; body: string; runId: string; incidentId: string | null; now: Date },
): Promise<boolean> {
  const rows = await db.query(
    `
INSERT INTO slack_outbox (kind, thread, target, body, run_id, incident_id, status, next_attempt_at, created_at)
SELECT 'approval_refresh', $1, $2, $3::text::jsonb, $4, $5, 'pending', $6, $6
WHERE NOT EXISTS (
  SELECT 1 FROM slack_outbox WHERE target = $2 AND kind = 'approval_refresh' AND status = 'pending'
    AND (locked_until IS NULL OR locked_until < $6))
RETURNING id`,
    [p.thread, p.target, p.body, p.runId, p.incidentId, p.now],
  );
  return rows.length > 0;
}

/** Where a keyed message went, once it was sent. */
export async function slackMessageByKey(db: Db, key: string): Promise<PostedMessage | null> {
  const [row] = await db.query('SELECT status, channel, ts, body FROM slack_outbox WHERE key = $1', [key]);
  if (!row) return null;
  return {
    status: row.status as PostedMessage['status'],
    channel: (row.channel as string | null) ?? null,
    ts: (row.ts as string | null) ?? null,
    body: row.body as SlackBody,
  };
}
