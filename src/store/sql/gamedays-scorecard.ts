// The statements of the one transaction that settles a drill with its scorecard.
import type { Queryable } from '../../db/driver.ts';

const SCORED_SQL = `
UPDATE gameday_fires SET scored_at = $2, passed = $3, scorecard = $4::text::jsonb
WHERE id = $1 AND scored_at IS NULL
RETURNING incident_id, run_id
`;

/** False when another replica scored the drill first. */
export async function markScored(
  tx: Queryable,
  p: { fireId: string; now: Date; passed: boolean; scorecard: unknown },
): Promise<boolean> {
  const rows = await tx.query(SCORED_SQL, [p.fireId, p.now, p.passed, JSON.stringify(p.scorecard)]);
  return rows.length > 0;
}

const EVIDENCE_SQL = `
INSERT INTO evidence (id, run_id, incident_id, step_key, attempt, kind, title, content, content_hash, created_at)
VALUES ($1, $2, $3, NULL, NULL, 'table', $4, $5::text::jsonb, $6, $7)
`;

/** `content` is the table as JSON text, as `contentHash` was computed over it. */
export async function insertTableEvidence(
  tx: Queryable,
  p: {
    id: string;
    runId: string | null;
    incidentId: string | null;
    title: string;
    content: string;
    contentHash: string;
    now: Date;
  },
): Promise<void> {
  await tx.query(EVIDENCE_SQL, [p.id, p.runId, p.incidentId, p.title, p.content, p.contentHash, p.now]);
}

const EVENT_SQL = `
INSERT INTO events (run_id, incident_id, type, data, at) VALUES ($1, $2, $3, $4::text::jsonb, $5)
`;

export async function insertIncidentEvent(
  tx: Queryable,
  p: { incidentId: string | null; type: string; data: unknown; at: Date },
): Promise<void> {
  await tx.query(EVENT_SQL, [null, p.incidentId, p.type, JSON.stringify(p.data), p.at]);
}

// The drill is over once it has its scorecard: its incident resolves (and drops out of active counts).
const RESOLVE_SQL = `
WITH i AS (
  UPDATE incidents SET status = 'resolved', resolved_at = $2, last_notified_at = $2, updated_at = $2
  WHERE id = $1 AND status = 'firing'
  RETURNING id
)
INSERT INTO events (run_id, incident_id, type, data, at)
SELECT NULL, i.id, 'incident.resolved', jsonb_build_object('reason', 'game day scored'), $2 FROM i
RETURNING 1
`;

export async function resolveDrillIncident(
  tx: Queryable,
  p: { incidentId: string | null; now: Date },
): Promise<void> {
  await tx.query(RESOLVE_SQL, [p.incidentId, p.now]);
}
