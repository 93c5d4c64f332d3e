// The statements of the one transaction that settles a drill with its scorecard.

export const SCORED_SQL = `
UPDATE gameday_fires SET scored_at = $2, passed = $3, scorecard = $4::text::jsonb
WHERE id = $1 AND scored_at IS NULL
RETURNING incident_id, run_id
`;

export const EVIDENCE_SQL = `
INSERT INTO evidence (id, run_id, incident_id, step_key, attempt, kind, title, content, content_hash, created_at)
VALUES ($1, $2, $3, NULL, NULL, 'table', $4, $5::text::jsonb, $6, $7)
`;

export const EVENT_SQL = `
INSERT INTO events (run_id, incident_id, type, data, at) VALUES ($1, $2, $3, $4::text::jsonb, $5)
`;

// The drill is over once it has its scorecard: its incident resolves (and drops out of active counts).
export const RESOLVE_SQL = `
WITH i AS (
  UPDATE incidents SET status = 'resolved', resolved_at = $2, last_notified_at = $2, updated_at = $2
  WHERE id = $1 AND status = 'firing'
  RETURNING id
)
INSERT INTO events (run_id, incident_id, type, data, at)
SELECT NULL, i.id, 'incident.resolved', jsonb_build_object('reason', 'game day scored'), $2 FROM i
RETURNING 1
`;
