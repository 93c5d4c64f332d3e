// The one outbox core: rows of outgoing calls (slack_outbox, writeback_outbox) that a deliverer claims,
// sends and settles. Enqueueing is one keyed insert, so whoever says something never waits for the
// service and saying it twice queues it once; rows of one ordering group (a Slack thread, a write-back
// sequence) go out one at a time, in the order they were queued. A table differs only by its spec:
// its columns, its ordering column, what a sent row records.
import type { Clock } from '../core/clock.ts';
import type { Redactor } from '../core/redact.ts';
import { retryTransient } from '../db/transient.ts';
import type { Db, Row } from './database.ts';

export type OutboxTable = 'slack_outbox' | 'writeback_outbox';

/** What every outbox row has, whatever its table. */
export interface OutboxRowBase {
  id: number;
  runId: string | null;
  incidentId: string | null;
  attempts: number;
}

export interface OutboxSpec<R extends OutboxRowBase> {
  table: OutboxTable;
  /** The insert's columns, in the order of the values given to `enqueue` (`body` is jsonb text). */
  columns: readonly string[];
  /** Rows with the same value here go out one at a time, oldest first. */
  orderedBy: string;
  /** Claims take only rows whose value here is among the lanes asked for (write-back: the service). */
  laneColumn?: string;
  /** Count claims on the row (a deliverer that died mid-send shows as a second claim). */
  countClaims?: boolean;
  /** What `markSent` sets besides status, sent_at, locked_until and attempts: its values are $3, $4, … */
  sentSet: string;
  toRow(r: Row): R;
}

/** How long a queued row's insert is retried through a database blip before the caller hears of it. */
const ENQUEUE_RETRY_MS = 10_000;

interface Statements {
  insert: string;
  claim: string;
  sent: string;
  retry: string;
  dead: string;
}

function statementsOf(spec: OutboxSpec<OutboxRowBase>): Statements {
  const t = spec.table;
  const values = spec.columns.map((c, i) => (c === 'body' ? `$${i + 1}::text::jsonb` : `$${i + 1}`));
  const now = `$${spec.columns.length + 1}`;
  const g = spec.orderedBy;
  return {
    insert: `
INSERT INTO ${t} (${spec.columns.join(', ')}, status, next_attempt_at, created_at)
VALUES (${values.join(', ')}, 'pending', ${now}, ${now})
ON CONFLICT (key) DO NOTHING
RETURNING id`,
    // Due rows whose group has nothing older still pending, leased for leaseMs so that several processes
    // deliver without sending a row twice (unless a deliverer dies mid-send: at least once).
    claim: `
UPDATE ${t} SET locked_until = $2${spec.countClaims ? ', claims = claims + 1' : ''}
WHERE id IN (
  SELECT o.id FROM ${t} o
  WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until < $1)
    ${spec.laneColumn ? `AND o.${spec.laneColumn} = ANY($4::text[])` : ''}
    AND (o.${g} IS NULL OR NOT EXISTS (
      SELECT 1 FROM ${t} e WHERE e.${g} = o.${g} AND e.status = 'pending' AND e.id < o.id))
  ORDER BY o.id
  LIMIT $3
  FOR UPDATE SKIP LOCKED)
RETURNING *`,
    sent: `UPDATE ${t} SET status = 'sent', ${spec.sentSet}, sent_at = $2, locked_until = NULL,
       attempts = attempts + 1 WHERE id = $1`,
    retry: `UPDATE ${t} SET next_attempt_at = $2, last_error = COALESCE($3, last_error), locked_until = NULL,
       attempts = attempts + $4 WHERE id = $1`,
    dead: `UPDATE ${t} SET status = 'dead', last_error = $2, locked_until = NULL, attempts = attempts + 1
       WHERE id = $1`,
  };
}

export class Outbox<R extends OutboxRowBase> {
  private readonly listeners: (() => void)[] = [];
  private readonly sql: Statements;

  constructor(
    readonly db: Db,
    private readonly clock: Clock,
    private readonly redact: Redactor,
    private readonly spec: OutboxSpec<R>,
  ) {
    this.sql = statementsOf(spec as unknown as OutboxSpec<OutboxRowBase>);
  }

  /** Called after each enqueue, so a deliverer in this process sends at once. */
  onEnqueued(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Queues a row (values in the spec's column order); false when its key was queued before. */
  async enqueue(values: readonly unknown[], what: string): Promise<boolean> {
    const deadline = Date.now() + ENQUEUE_RETRY_MS;
    const rows = await retryTransient(() => this.db.query(this.sql.insert, [...values, this.clock.now()]), {
      what,
      giveUp: () => Date.now() > deadline,
    });
    if (rows.length > 0) this.poke();
    return rows.length > 0;
  }

  /** Due rows, leased for `leaseMs`; `lanes` when the spec has a lane column. */
  async claim(limit: number, leaseMs: number, lanes?: readonly string[]): Promise<R[]> {
    const now = this.clock.now();
    const params: unknown[] = [now, new Date(now.getTime() + leaseMs), limit];
    if (this.spec.laneColumn) params.push(lanes ?? []);
    const rows = await this.db.query(this.sql.claim, params);
    return rows.map((r) => this.spec.toRow(r)).sort((a, b) => a.id - b.id);
  }

  /** The row is sent; `values` fill the spec's `sentSet` ($3, $4, …). */
  async markSent(id: number, values: readonly unknown[]): Promise<void> {
    await this.db.query(this.sql.sent, [id, this.clock.now(), ...values]);
  }

  /** Tries again at `at`; `counted` false (rate limits, waiting for another row) spends no attempt. */
  async retryAt(id: number, at: Date, error: string | null, counted: boolean): Promise<void> {
    await this.db.query(this.sql.retry, [id, at, error, counted ? 1 : 0]);
  }

  async markDead(id: number, error: string): Promise<void> {
    await this.db.query(this.sql.dead, [id, error]);
  }

  /** A delivery problem on the timeline of the row's run and incident (rows of neither are only counted). */
  async timeline(row: R, type: string, data: Record<string, unknown>): Promise<void> {
    if (!row.runId && !row.incidentId) return;
    await this.db.query(
      `INSERT INTO events (run_id, incident_id, type, data, at) VALUES ($1, $2, $3, $4::text::jsonb, $5)`,
      [row.runId, row.incidentId, type, this.redact.json(data), this.clock.now()],
    );
  }

  poke(): void {
    for (const l of this.listeners) l();
  }
}

/** Rows sent (or given up) and queued before $1; at most $2. */
export const pruneSentSql = (table: OutboxTable) => `
DELETE FROM ${table} WHERE id = ANY(ARRAY(
  SELECT id FROM ${table} WHERE status <> 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2))
RETURNING 1`;

export const pruneSlackSql = pruneSentSql('slack_outbox');
export const pruneWritebackSql = pruneSentSql('writeback_outbox');

/** Retention: rows sent or given up and queued before `before`; how many went. */
export async function pruneSentOutbox(
  db: Db,
  table: OutboxTable,
  p: { before: Date; batch: number },
): Promise<number> {
  const sql = table === 'slack_outbox' ? pruneSlackSql : pruneWritebackSql;
  return (await db.query(sql, [p.before, p.batch])).length;
}
