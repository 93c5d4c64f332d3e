// `firebreak export`: the journal between two times as JSON lines, one event a line, oldest first, with
// the run's runbook beside each line (while the run row exists) — so the audit trail can be kept
// elsewhere before retention deletes it. Every line passes the same redactor as everything else that
// leaves the process. Read in windows of the event sequence (the primary key), the time range found
// through the BRIN index on `at`: memory stays flat and no query scans the whole journal.

import type { Redactor } from '../core/redact.ts';
import type { Queryable } from '../db/driver.ts';

export interface ExportOptions {
  since: Date;
  until: Date;
  /** Only the audit lines (approvals, decisions, mitigations, cancel and retry requests). */
  auditOnly: boolean;
  /** Sequence numbers per read (default 5,000). */
  window?: number;
}

/** One exported line: a journal event. */
export interface ExportedEvent {
  seq: number;
  at: string;
  type: string;
  runId: string | null;
  runbookId: string | null;
  incidentId: string | null;
  step: string | null;
  data: unknown;
}

const RANGE_SQL = `
SELECT min(seq)::text AS lo, max(seq)::text AS hi FROM events WHERE at >= $1 AND at < $2`;

const WINDOW_SQL = `
SELECT e.seq::text AS seq, e.at, e.type, e.run_id::text AS run_id, r.runbook_id, e.incident_id::text AS incident_id,
  e.step_key, e.data
FROM events e LEFT JOIN runs r ON r.id = e.run_id
WHERE e.seq >= $1 AND e.seq < $2 AND e.at >= $3 AND e.at < $4
  AND (NOT $5::boolean OR firebreak_is_audit_event(e.type))
ORDER BY e.seq`;

/** Writes the lines through `write` (awaited, so a slow consumer slows the export); returns how many. */
export async function exportJournal(
  db: Queryable,
  redact: Redactor,
  opts: ExportOptions,
  write: (line: string) => void | Promise<void>,
): Promise<number> {
  const [range] = await db.query<{ lo: string | null; hi: string | null }>(RANGE_SQL, [
    opts.since,
    opts.until,
  ]);
  if (!range?.lo || !range.hi) return 0;
  const window = opts.window ?? 5_000;
  let count = 0;
  for (let lo = Number(range.lo); lo <= Number(range.hi); lo += window) {
    const rows = await db.query(WINDOW_SQL, [lo, lo + window, opts.since, opts.until, opts.auditOnly]);
    for (const r of rows) {
      const line: ExportedEvent = {
        seq: Number(r.seq),
        at: new Date(r.at as string | Date).toISOString(),
        type: String(r.type),
        runId: (r.run_id as string | null) ?? null,
        runbookId: (r.runbook_id as string | null) ?? null,
        incidentId: (r.incident_id as string | null) ?? null,
        step: (r.step_key as string | null) ?? null,
        data: r.data ?? null,
      };
      await write(redact.json(line));
      count += 1;
    }
  }
  return count;
}
