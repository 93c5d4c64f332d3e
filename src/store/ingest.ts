// The statements of ingestion, each with its parameters in one typed function: the ingest transaction
// (src/db/functions/firebreak_ingest.sql and firebreak_ingest_batch.sql — their text is what the
// ingest bench measures, keep it as it is), dead letters, and the open alerts the Kubernetes watcher
// resumes from.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { coalescedNotify } from '../db/coalesced-notify.ts';
import { drizzleOf } from '../db/drizzle.ts';
import { alerts, incidents } from '../db/schema.ts';
import type { Db, DbDriver } from './database.ts';
import { WAKE_CHANNEL } from './sql-store.ts';

export { insertIncidentEvent } from './incidents.ts';

const BATCH_SQL =
  'SELECT ord, incident_id, outcome, run_ids, error_code, error_message FROM firebreak_ingest_batch($1::text::jsonb, $2)';
const ONE_SQL = 'SELECT incident_id, outcome, run_ids FROM firebreak_ingest($1::text::jsonb, $2)';

export interface IngestRow {
  incident_id: unknown;
  outcome: unknown;
  run_ids: unknown;
}

export interface IngestBatchRow extends IngestRow {
  /** The item's index in the payload array. */
  ord: unknown;
  error_code: unknown;
  error_message: unknown;
}

/** One delivery in its own transaction. `payload` is the redacted notification, already JSON. */
export async function ingestOne(q: Db, payload: string, now: Date): Promise<IngestRow | undefined> {
  const [row] = await q.query(ONE_SQL, [payload, now]);
  return row as IngestRow | undefined;
}

/** Several deliveries in one transaction, a subtransaction each. `payloads`: a JSON array, lock-ordered. */
export async function ingestBatch(q: Db, payloads: string, now: Date): Promise<IngestBatchRow[]> {
  return (await q.query(BATCH_SQL, [payloads, now])) as unknown as IngestBatchRow[];
}

/** Keeps a delivery that could not become an incident; the strings are redacted by the caller. */
export async function insertDeadLetter(
  q: Db,
  p: { source: string; reason: string; body: string; headers: string; receivedAt: Date },
): Promise<string> {
  const id = randomUUID();
  await q.query(
    `insert into dead_letters (id, source, reason, body, headers, received_at) values ($1, $2, $3, $4, $5::text::jsonb, $6)`,
    [id, p.source, p.reason, p.body, p.headers, p.receivedAt],
  );
  return id;
}

/** Wakes the workers once runs are committed (not inside the ingest transaction: see src/db/functions/firebreak_ingest.sql). */
export function runWaker(driver: DbDriver): () => void {
  return coalescedNotify(driver, WAKE_CHANNEL, 'run');
}

export interface OpenKubernetesAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  groupKey: string;
  groupLabels: Record<string, string>;
  title: string;
}

/** The firing alerts of firing `kubernetes` incidents: what a new watch leader starts from. */
export async function openKubernetesAlerts(q: Db): Promise<OpenKubernetesAlert[]> {
  const rows = await drizzleOf(q)
    .select({
      fingerprint: alerts.fingerprint,
      labels: alerts.labels,
      annotations: alerts.annotations,
      groupKey: incidents.groupKey,
      // Aliased: rows reach drizzle keyed by column name, and alerts has a `labels` too (db/drizzle.ts).
      groupLabels: sql<unknown>`${incidents.labels}`.as('group_labels'),
      title: incidents.title,
    })
    .from(alerts)
    .innerJoin(incidents, eq(incidents.id, alerts.incidentId))
    .where(
      and(eq(incidents.source, 'kubernetes'), eq(incidents.status, 'firing'), eq(alerts.status, 'firing')),
    );
  return rows.map((r) => ({
    fingerprint: r.fingerprint,
    groupKey: r.groupKey,
    groupLabels: (r.groupLabels as Record<string, string> | null) ?? {},
    title: r.title,
    labels: (r.labels as Record<string, string> | null) ?? {},
    annotations: (r.annotations as Record<string, string> | null) ?? {},
  }));
}
