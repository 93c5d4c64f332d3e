// Write-back calls to PagerDuty and Grafana as rows (table writeback_outbox), the way slack_outbox holds
// Slack messages: enqueueing is one keyed insert, so the engine's listeners never wait for a service and
// saying the same thing twice (a second process, an event seen again after a takeover) queues it once.
// Rows of one `sequence` go out one at a time in the order they were queued (acknowledge, notes, resolve).
import type { Clock } from '../../core/clock.ts';
import type { Redactor } from '../../core/redact.ts';
import type { Queryable, Row } from '../../db/driver.ts';
import { retryTransient } from '../../db/transient.ts';
import { str } from '../../store/rows.ts';
import type { ResolvePolicy } from '../pagerduty/write-back.ts';

export type WritebackService = 'pagerduty' | 'grafana';
export type WritebackOp = 'acknowledge' | 'note' | 'resolve' | 'annotate' | 'annotate_end';

export interface WritebackCall {
  service: WritebackService;
  op: WritebackOp;
  key: string;
  sequence?: string;
  /** annotate_end: the key of the annotate row whose annotation gets its timeEnd. */
  ref?: string;
  body: Record<string, unknown>;
  runId?: string | null;
  incidentId?: string | null;
}

export interface WritebackRow extends Required<Omit<WritebackCall, 'sequence' | 'ref'>> {
  id: number;
  sequence: string | null;
  ref: string | null;
  attempts: number;
  claims: number;
}

export interface WritebackState {
  status: 'pending' | 'sent' | 'dead';
  remoteId: string | null;
}

const ENQUEUE_RETRY_MS = 10_000;

const INSERT_SQL = `
INSERT INTO writeback_outbox (service, op, key, sequence, ref, body, run_id, incident_id, status,
  next_attempt_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, 'pending', $9, $9)
ON CONFLICT (key) DO NOTHING
RETURNING id`;

// Due rows of the given services whose sequence has nothing older pending, leased for leaseMs so that
// several processes deliver without sending a row twice (unless one dies mid-send: see `claims`).
const CLAIM_SQL = `
UPDATE writeback_outbox SET locked_until = $2, claims = claims + 1
WHERE id IN (
  SELECT o.id FROM writeback_outbox o
  WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until < $1)
    AND o.service = ANY($4::text[])
    AND (o.sequence IS NULL OR NOT EXISTS (
      SELECT 1 FROM writeback_outbox e WHERE e.sequence = o.sequence AND e.status = 'pending' AND e.id < o.id))
  ORDER BY o.id
  LIMIT $3
  FOR UPDATE SKIP LOCKED)
RETURNING *`;

export class WritebackOutbox {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
    private readonly redact: Redactor,
  ) {}

  onEnqueued(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Queues a call; false when its key was queued before. */
  async enqueue(c: WritebackCall): Promise<boolean> {
    const deadline = Date.now() + ENQUEUE_RETRY_MS;
    const rows = await retryTransient(
      () =>
        this.db.query(INSERT_SQL, [
          c.service,
          c.op,
          c.key,
          c.sequence ?? null,
          c.ref ?? null,
          this.redact.json(c.body),
          c.runId ?? null,
          c.incidentId ?? null,
          this.clock.now(),
        ]),
      { what: `queueing a ${c.service} write-back`, giveUp: () => Date.now() > deadline },
    );
    if (rows.length > 0) for (const l of this.listeners) l();
    return rows.length > 0;
  }

  async claim(
    services: readonly WritebackService[],
    limit: number,
    leaseMs: number,
  ): Promise<WritebackRow[]> {
    const now = this.clock.now();
    const rows = await this.db.query(CLAIM_SQL, [now, new Date(now.getTime() + leaseMs), limit, services]);
    return rows.map(toRow).sort((a, b) => a.id - b.id);
  }

  async state(key: string): Promise<WritebackState | null> {
    const [row] = await this.db.query('SELECT status, remote_id FROM writeback_outbox WHERE key = $1', [key]);
    if (!row) return null;
    return { status: row.status as WritebackState['status'], remoteId: str(row.remote_id) };
  }

  /** The first PagerDuty incident a run's write-back was queued for (a run asked for it, or its incident). */
  async pagerDutyIncidentOf(runId: string): Promise<{ incident: string; resolve: ResolvePolicy } | null> {
    const [row] = await this.db.query(
      `SELECT body->>'incident' AS incident, body->>'resolve' AS resolve FROM writeback_outbox
       WHERE run_id = $1 AND service = 'pagerduty' AND op = 'acknowledge' ORDER BY id LIMIT 1`,
      [runId],
    );
    if (!row?.incident) return null;
    return { incident: String(row.incident), resolve: row.resolve === 'verified' ? 'verified' : 'never' };
  }

  async markSent(id: number, remoteId: string | null): Promise<void> {
    await this.db.query(
      `UPDATE writeback_outbox SET status = 'sent', remote_id = $2, sent_at = $3, locked_until = NULL,
       attempts = attempts + 1 WHERE id = $1`,
      [id, remoteId, this.clock.now()],
    );
  }

  /** Tries again at `at`; `counted` false (a 429, waiting for a referenced row) spends no attempt. */
  async retryAt(id: number, at: Date, error: string | null, counted: boolean): Promise<void> {
    await this.db.query(
      `UPDATE writeback_outbox SET next_attempt_at = $2, last_error = COALESCE($3, last_error),
       locked_until = NULL, attempts = attempts + $4 WHERE id = $1`,
      [id, at, error === null ? null : this.redact.text(error), counted ? 1 : 0],
    );
  }

  async markDead(id: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE writeback_outbox SET status = 'dead', last_error = $2, locked_until = NULL,
       attempts = attempts + 1 WHERE id = $1`,
      [id, this.redact.text(error)],
    );
  }

  /** A delivery problem on the timeline of the row's run and incident. */
  async timeline(row: WritebackRow, type: string, data: Record<string, unknown>): Promise<void> {
    if (!row.runId && !row.incidentId) return;
    await this.db.query(
      `INSERT INTO events (run_id, incident_id, type, data, at) VALUES ($1, $2, $3, $4::text::jsonb, $5)`,
      [row.runId, row.incidentId, type, this.redact.json(data), this.clock.now()],
    );
  }
}

function toRow(r: Row): WritebackRow {
  return {
    id: Number(r.id),
    service: r.service as WritebackService,
    op: r.op as WritebackOp,
    key: String(r.key),
    sequence: str(r.sequence),
    ref: str(r.ref),
    body: r.body as Record<string, unknown>,
    runId: str(r.run_id),
    incidentId: str(r.incident_id),
    attempts: Number(r.attempts),
    claims: Number(r.claims),
  };
}
