// The statements on gameday_schedules, the fire itself, and the reads of open and latest fires: each
// statement with its parameters in one function.
import type { Queryable } from '../../db/driver.ts';
import type {
  DeclaredSchedule,
  FireOutcome,
  FirePayload,
  FireRecord,
  FireResult,
} from '../gameday-records.ts';
import { toFire } from '../gameday-rows.ts';

// A schedule whose expression changed, or that comes back after removal, starts from now: the due times
// of another schedule are not this one's to catch up.
const SYNC_SQL = `
INSERT INTO gameday_schedules AS s (id, runbook_id, game_day_id, cron, timezone, mode, created_at, updated_at)
SELECT d.id, d.runbook_id, d.game_day_id, d.cron, d.timezone, d.mode, $2, $2
FROM jsonb_to_recordset($1::text::jsonb) AS d(id text, runbook_id text, game_day_id text, cron text,
  timezone text, mode text)
ON CONFLICT (id) DO UPDATE SET
  mode = EXCLUDED.mode, cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, removed_at = NULL, updated_at = $2,
  handled_until = CASE
    WHEN s.cron <> EXCLUDED.cron OR s.timezone <> EXCLUDED.timezone OR s.removed_at IS NOT NULL
    THEN GREATEST(s.handled_until, $2) ELSE s.handled_until END
WHERE s.cron <> EXCLUDED.cron OR s.timezone <> EXCLUDED.timezone OR s.mode <> EXCLUDED.mode
  OR s.removed_at IS NOT NULL
`;

export async function upsertSchedules(
  db: Queryable,
  p: { schedules: readonly DeclaredSchedule[]; now: Date },
): Promise<void> {
  const rows = p.schedules.map((d) => ({
    id: d.id,
    runbook_id: d.runbookId,
    game_day_id: d.gameDayId,
    cron: d.cron,
    timezone: d.timezone,
    mode: d.mode,
  }));
  await db.query(SYNC_SQL, [JSON.stringify(rows), p.now]);
}

// Only runbooks this replica loaded: a schedule of a runbook it does not know may belong to another one.
const REMOVE_SQL = `
UPDATE gameday_schedules SET removed_at = $3, updated_at = $3
WHERE removed_at IS NULL AND runbook_id = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))
  AND id NOT IN (SELECT jsonb_array_elements_text($2::text::jsonb))
`;

export async function removeUndeclaredSchedules(
  db: Queryable,
  p: { loadedRunbooks: readonly string[]; declared: readonly string[]; now: Date },
): Promise<void> {
  await db.query(REMOVE_SQL, [JSON.stringify(p.loadedRunbooks), JSON.stringify(p.declared), p.now]);
}

const FIRE_SQL =
  'SELECT outcome, fire_id, incident_id, run_id FROM firebreak_gameday_fire($1::text::jsonb, $2)';

/** Claims the due time, opens the drill incident and creates its run, in one call (src/db/functions/firebreak_gameday_fire.sql). */
export async function fireGameDay(
  db: Queryable,
  p: { payload: FirePayload; now: Date },
): Promise<FireResult> {
  const [row] = await db.query(FIRE_SQL, [JSON.stringify(p.payload), p.now]);
  const s = (v: unknown) => (v == null ? null : String(v));
  return {
    outcome: String(row!.outcome) as FireOutcome,
    fireId: s(row!.fire_id),
    incidentId: s(row!.incident_id),
    runId: s(row!.run_id),
  };
}

const OPEN_FIRES_SQL = `
SELECT f.*, r.status AS run_status FROM gameday_fires f LEFT JOIN runs r ON r.id = f.run_id
WHERE f.outcome = 'fired' AND f.scored_at IS NULL
ORDER BY f.recorded_at
LIMIT $1
`;

/** Fired drills without a scorecard yet, oldest first (every follow-up pass). */
export async function openFires(db: Queryable, p: { limit: number }): Promise<FireRecord[]> {
  return (await db.query(OPEN_FIRES_SQL, [p.limit])).map(toFire);
}

const LATEST_SQL = `
SELECT DISTINCT ON (schedule_id) * FROM gameday_fires
WHERE outcome = 'fired' AND ($1::boolean IS FALSE OR scored_at IS NOT NULL)
ORDER BY schedule_id, recorded_at DESC, id
`;

/** The latest fired drill of each schedule, or with `scored` the latest one that has a scorecard. */
export async function latestFires(db: Queryable, p: { scored: boolean }): Promise<FireRecord[]> {
  return (await db.query(LATEST_SQL, [p.scored])).map(toFire);
}
