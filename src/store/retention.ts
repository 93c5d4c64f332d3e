// The statements of retention (src/retention): pruning past the windows, the pruner's lease, and the
// journal export's reads. The run and incident work is done by the functions of drizzle/0018
// (firebreak_prune_runs, _audit, _incidents), which delete in keyed batches and may delete journal lines.
import type { Db, Row } from './database.ts';

/** Deleted-row counts of one batch, by column (`runs`, `steps`, `events`, …), as the function returns them. */
export type PruneCounts = Row | undefined;

/** Finished runs before `cutoff`: their history goes, their audit part stays (`kept`). */
export async function pruneRuns(db: Db, p: { cutoff: Date; batch: number; now: Date }): Promise<PruneCounts> {
  const [row] = await db.query('SELECT * FROM firebreak_prune_runs($1, $2, $3)', [p.cutoff, p.batch, p.now]);
  return row;
}

/** Runs past the audit window, whole. */
export async function pruneAudit(db: Db, p: { auditCutoff: Date; batch: number }): Promise<PruneCounts> {
  const [row] = await db.query('SELECT * FROM firebreak_prune_audit($1, $2)', [p.auditCutoff, p.batch]);
  return row;
}

/** Resolved incidents before `cutoff` (their audit lines before `auditCutoff`). */
export async function pruneIncidents(
  db: Db,
  p: { cutoff: Date; auditCutoff: Date; batch: number },
): Promise<PruneCounts> {
  const [row] = await db.query('SELECT * FROM firebreak_prune_incidents($1, $2, $3)', [
    p.cutoff,
    p.auditCutoff,
    p.batch,
  ]);
  return row;
}

/** Dead letters received before `receivedBefore`, or replayed before `replayedBefore`; how many went. */
export async function pruneDeadLetters(
  db: Db,
  p: { receivedBefore: Date; replayedBefore: Date; batch: number },
): Promise<number> {
  const rows = await db.query(
    `DELETE FROM dead_letters WHERE id = ANY(ARRAY(
  SELECT id FROM dead_letters WHERE received_at < $1
  UNION
  SELECT id FROM dead_letters WHERE replayed_at < $2
  LIMIT $3))
RETURNING 1`,
    [p.receivedBefore, p.replayedBefore, p.batch],
  );
  return rows.length;
}

/** Commit ids older than `before` (a retry never comes that late); how many went. */
export async function pruneCommitIds(db: Db, p: { before: Date; batch: number }): Promise<number> {
  const rows = await db.query(
    `DELETE FROM firebreak_commits WHERE id = ANY(ARRAY(
  SELECT id FROM firebreak_commits WHERE committed_at < $1 ORDER BY committed_at LIMIT $2))
RETURNING 1`,
    [p.before, p.batch],
  );
  return rows.length;
}

/**
 * Mitigation budget uses from before `before` (the audit cutoff: a use is the audit of an apply, and no
 * budget window is that long); how many went.
 */
export async function pruneBudgetUses(db: Db, p: { before: Date; batch: number }): Promise<number> {
  const rows = await db.query(
    `DELETE FROM mitigation_budget_uses WHERE (run_id, step_key) IN (
  SELECT run_id, step_key FROM mitigation_budget_uses WHERE at < $1 ORDER BY at LIMIT $2)
RETURNING 1`,
    [p.before, p.batch],
  );
  return rows.length;
}

/**
 * One pruner at a time across replicas: a lease in `settings`. Taken when free (or ours), and only if
 * no pass finished in the last `quietMs`. True when taken.
 */
export async function claimPruner(
  db: Db,
  p: { owner: string; now: Date; until: Date; quietMs: number },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO settings AS s (key, value, updated_at, updated_by)
VALUES ('pruner', jsonb_build_object('owner', $1::text, 'until', $3::timestamptz), $2, $1)
ON CONFLICT (key) DO UPDATE SET
  value = s.value || jsonb_build_object('owner', $1::text, 'until', $3::timestamptz),
  updated_at = $2, updated_by = $1
WHERE ((s.value->>'until')::timestamptz < $2 OR s.value->>'owner' = $1)
  AND (s.value->>'lastPassAt' IS NULL OR (s.value->>'lastPassAt')::timestamptz < $2::timestamptz - ($4::text || ' milliseconds')::interval)
RETURNING key`,
    [p.owner, p.now, p.until, p.quietMs],
  );
  return rows.length > 0;
}

/** The pass is over: free the lease and note when, so the other replicas skip this interval. */
export async function releasePruner(db: Db, p: { owner: string; now: Date }): Promise<void> {
  await db.query(
    `UPDATE settings SET value = value || jsonb_build_object('until', $2::timestamptz, 'lastPassAt', $2::timestamptz),
  updated_at = $2
WHERE key = 'pruner' AND value->>'owner' = $1`,
    [p.owner, p.now],
  );
}

/** The journal's sequence numbers in [since, until), found through the BRIN index on `at`; null when none. */
export async function journalSeqRange(
  db: Db,
  p: { since: Date; until: Date },
): Promise<{ lo: number; hi: number } | null> {
  const [range] = await db.query<{ lo: string | null; hi: string | null }>(
    'SELECT min(seq)::text AS lo, max(seq)::text AS hi FROM events WHERE at >= $1 AND at < $2',
    [p.since, p.until],
  );
  if (!range?.lo || !range.hi) return null;
  return { lo: Number(range.lo), hi: Number(range.hi) };
}

/** One journal line with its run's runbook (while the run row exists). */
export interface JournalLine {
  seq: number;
  at: Date;
  type: string;
  runId: string | null;
  runbookId: string | null;
  incidentId: string | null;
  stepKey: string | null;
  data: unknown;
}

/** The lines of sequence numbers [lo, hi) at times [since, until), oldest first (only audit ones if asked). */
export async function journalWindow(
  db: Db,
  p: { lo: number; hi: number; since: Date; until: Date; auditOnly: boolean },
): Promise<JournalLine[]> {
  const rows = await db.query(
    `SELECT e.seq::text AS seq, e.at, e.type, e.run_id::text AS run_id, r.runbook_id, e.incident_id::text AS incident_id,
  e.step_key, e.data
FROM events e LEFT JOIN runs r ON r.id = e.run_id
WHERE e.seq >= $1 AND e.seq < $2 AND e.at >= $3 AND e.at < $4
  AND (NOT $5::boolean OR firebreak_is_audit_event(e.type))
ORDER BY e.seq`,
    [p.lo, p.hi, p.since, p.until, p.auditOnly],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    at: new Date(r.at as string | Date),
    type: String(r.type),
    runId: (r.run_id as string | null) ?? null,
    runbookId: (r.runbook_id as string | null) ?? null,
    incidentId: (r.incident_id as string | null) ?? null,
    stepKey: (r.step_key as string | null) ?? null,
    data: r.data ?? null,
  }));
}
