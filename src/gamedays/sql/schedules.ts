// Statements on gameday_schedules and the reads of gameday_fires behind GET /api/gamedays.

// A schedule whose expression changed, or that comes back after removal, starts from now: the due times
// of another schedule are not this one's to catch up.
export const SYNC_SQL = `
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

// Only runbooks this replica loaded: a schedule of a runbook it does not know may belong to another one.
export const REMOVE_SQL = `
UPDATE gameday_schedules SET removed_at = $3, updated_at = $3
WHERE removed_at IS NULL AND runbook_id = ANY(ARRAY(SELECT jsonb_array_elements_text($1::text::jsonb)))
  AND id NOT IN (SELECT jsonb_array_elements_text($2::text::jsonb))
`;

export const OPEN_FIRES_SQL = `
SELECT f.*, r.status AS run_status FROM gameday_fires f LEFT JOIN runs r ON r.id = f.run_id
WHERE f.outcome = 'fired' AND f.scored_at IS NULL
ORDER BY f.recorded_at
LIMIT $1
`;

export const LATEST_SQL = `
SELECT DISTINCT ON (schedule_id) * FROM gameday_fires
WHERE outcome = 'fired' AND ($1::boolean IS FALSE OR scored_at IS NOT NULL)
ORDER BY schedule_id, recorded_at DESC, id
`;
