// writeback_outbox: PagerDuty and Grafana write-back calls, on the outbox core (outbox.ts). Rows of one
// `sequence` go out in order (acknowledge, notes, resolve); claims are per service, so a service held by
// a 429 does not hold the others; a sent row records the id the service gave (an annotation's id).
import type { Db, Row } from './database.ts';
import type { OutboxSpec } from './outbox.ts';
import { str } from './rows.ts';

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

export const writebackOutboxSpec: OutboxSpec<WritebackRow> = {
  table: 'writeback_outbox',
  columns: ['service', 'op', 'key', 'sequence', 'ref', 'body', 'run_id', 'incident_id'],
  orderedBy: 'sequence',
  laneColumn: 'service',
  countClaims: true,
  sentSet: 'remote_id = $3',
  toRow: (r: Row): WritebackRow => ({
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
  }),
};

export async function writebackStateByKey(db: Db, key: string): Promise<WritebackState | null> {
  const [row] = await db.query('SELECT status, remote_id FROM writeback_outbox WHERE key = $1', [key]);
  if (!row) return null;
  return { status: row.status as WritebackState['status'], remoteId: str(row.remote_id) };
}

/** The first PagerDuty acknowledge queued for a run: its incident and resolve policy, as queued. */
export async function firstPagerDutyAcknowledge(
  db: Db,
  runId: string,
): Promise<{ incident: string; resolve: string | null } | null> {
  const [row] = await db.query(
    `SELECT body->>'incident' AS incident, body->>'resolve' AS resolve FROM writeback_outbox
       WHERE run_id = $1 AND service = 'pagerduty' AND op = 'acknowledge' ORDER BY id LIMIT 1`,
    [runId],
  );
  if (!row?.incident) return null;
  return { incident: String(row.incident), resolve: str(row.resolve) };
}
