// `firebreak export`: the journal between two times as JSON lines, one event a line, oldest first, with
// the run's runbook beside each line (while the run row exists) — so the audit trail can be kept
// elsewhere before retention deletes it. Every line passes the same redactor as everything else that
// leaves the process. Read in windows of the event sequence (the primary key), the time range found
// through the BRIN index on `at`: memory stays flat and no query scans the whole journal.

import type { Redactor } from '../core/redact.ts';
import type { Db } from '../store/database.ts';
import { journalSeqRange, journalWindow } from '../store/retention.ts';

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

/** Writes the lines through `write` (awaited, so a slow consumer slows the export); returns how many. */
export async function exportJournal(
  db: Db,
  redact: Redactor,
  opts: ExportOptions,
  write: (line: string) => void | Promise<void>,
): Promise<number> {
  const range = await journalSeqRange(db, { since: opts.since, until: opts.until });
  if (!range) return 0;
  const window = opts.window ?? 5_000;
  let count = 0;
  for (let lo = range.lo; lo <= range.hi; lo += window) {
    const rows = await journalWindow(db, {
      lo,
      hi: lo + window,
      since: opts.since,
      until: opts.until,
      auditOnly: opts.auditOnly,
    });
    for (const r of rows) {
      const line: ExportedEvent = {
        seq: r.seq,
        at: r.at.toISOString(),
        type: r.type,
        runId: r.runId,
        runbookId: r.runbookId,
        incidentId: r.incidentId,
        step: r.stepKey,
        data: r.data,
      };
      await write(redact.json(line));
      count += 1;
    }
  }
  return count;
}
