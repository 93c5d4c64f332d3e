// Statements that move a fired drill on: inject, detection, rollback, and the snapshot it is scored from.
// Each settling write is conditional on the row still being unsettled, so replicas doing the same
// follow-up at once leave exactly one result.
import type { Queryable, Row } from '../../db/driver.ts';
import type { AlertArrival } from '../gameday-records.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../records.ts';
import { date, toApproval, toRun, toStep } from '../rows.ts';

const INJECT_SQL = `
WITH f AS (
  UPDATE gameday_fires SET inject_status = $2, injected_at = $3, inject_error = $4::text::jsonb,
    detect_deadline = $5
  WHERE id = $1 AND inject_status = 'pending'
  RETURNING incident_id
)
INSERT INTO events (run_id, incident_id, type, data, at)
SELECT NULL, f.incident_id, $6, $7::text::jsonb, $3 FROM f
RETURNING 1
`;

export async function recordInject(
  db: Queryable,
  p: {
    fireId: string;
    status: 'injected' | 'failed';
    at: Date;
    error: unknown;
    detectDeadline: Date | null;
    data: Record<string, unknown>;
  },
): Promise<void> {
  await db.query(INJECT_SQL, [
    p.fireId,
    p.status,
    p.at,
    JSON.stringify(p.error ?? null),
    p.detectDeadline,
    p.status === 'injected' ? 'gameday.injected' : 'gameday.inject_failed',
    JSON.stringify({ fireId: p.fireId, ...p.data }),
  ]);
}

// The replica that fired a drill stopped before it reported the inject: it is never retried (a fault
// injected twice is worse than one not injected), the drill scores it as lost.
const LOST_INJECT_SQL = `
WITH f AS (
  UPDATE gameday_fires SET inject_status = 'lost'
  WHERE outcome = 'fired' AND scored_at IS NULL AND inject_status = 'pending' AND recorded_at < $1
  RETURNING id, incident_id
)
INSERT INTO events (run_id, incident_id, type, data, at)
SELECT NULL, f.incident_id, 'gameday.inject_lost', jsonb_build_object('fireId', f.id), $2 FROM f
RETURNING 1
`;

/** Returns how many injects were marked lost. */
export async function markInjectsLost(db: Queryable, p: { firedBefore: Date; now: Date }): Promise<number> {
  return (await db.query(LOST_INJECT_SQL, [p.firedBefore, p.now])).length;
}

const ALERTS_AFTER_SQL = `
SELECT seq, incident_id, data, at FROM events
WHERE seq > $1 AND type = 'alert.firing' AND at >= $2 AND at <= $3
ORDER BY seq
LIMIT 1000
`;

/** Firing alerts journalled after `seq` that arrived in [from, until]. */
export async function alertsAfter(
  db: Queryable,
  p: { seq: number; from: Date; until: Date },
): Promise<AlertArrival[]> {
  const rows = await db.query(ALERTS_AFTER_SQL, [p.seq, p.from, p.until]);
  return rows.map((r: Row) => {
    const data = (r.data ?? {}) as { fingerprint?: unknown; labels?: unknown };
    return {
      seq: Number(r.seq),
      incidentId: r.incident_id == null ? null : String(r.incident_id),
      fingerprint: String(data.fingerprint ?? ''),
      labels: (data.labels ?? {}) as Record<string, string>,
      at: date(r.at)!,
    };
  });
}

const DETECTED_SQL = `
WITH f AS (
  UPDATE gameday_fires SET detected_at = $2, detected_alert = $3::text::jsonb
  WHERE id = $1 AND detected_at IS NULL
  RETURNING id, incident_id
),
drill AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT NULL, f.incident_id, 'gameday.detected', $4::text::jsonb, $5 FROM f
  RETURNING 1
),
-- The incident the alert opened learns that a drill injected its fault.
real AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT NULL, $6::uuid, 'gameday.fault_detected', jsonb_build_object('fireId', f.id, 'drillIncidentId', f.incident_id),
    $5
  FROM f WHERE $6::uuid IS NOT NULL
  RETURNING 1
)
SELECT (SELECT count(*) FROM f)::int AS recorded, (SELECT count(*) FROM drill)::int
  + (SELECT count(*) FROM real)::int AS written
`;

/** False when another replica recorded the detection first. */
export async function recordDetection(
  db: Queryable,
  p: { fireId: string; alert: AlertArrival; timeToDetectMs: number; now: Date },
): Promise<boolean> {
  const { alert } = p;
  const about = { fingerprint: alert.fingerprint, labels: alert.labels, incidentId: alert.incidentId };
  const [row] = await db.query(DETECTED_SQL, [
    p.fireId,
    alert.at,
    JSON.stringify({ ...about, at: alert.at.toISOString() }),
    JSON.stringify({
      fireId: p.fireId,
      timeToDetectMs: p.timeToDetectMs,
      alert: about,
      alertAt: alert.at.toISOString(),
    }),
    p.now,
    alert.incidentId,
  ]);
  return Number(row?.recorded ?? 0) > 0;
}

// A live drill's run that succeeded is made to compensate, as a crash during compensation would resume:
// the saga reverts every applied mitigation as durable, retried steps, and the run ends compensated.
const ROLLBACK_SQL = `
WITH r AS (
  UPDATE runs SET status = 'compensating', error = $2::text::jsonb, wake_at = $3, finished_at = NULL,
    lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
  WHERE id = $1 AND status = 'succeeded' AND EXISTS (
    SELECT 1 FROM steps s WHERE s.run_id = $1 AND s.kind = 'mitigation' AND s.applied_seq IS NOT NULL
      AND s.status NOT IN ('reverted', 'revert_failed'))
  RETURNING id, incident_id
),
ev AS (
  INSERT INTO events (run_id, incident_id, type, data, at)
  SELECT r.id, r.incident_id, 'run.compensating', jsonb_build_object('reason', 'gameday rollback', 'error',
    $2::text::jsonb), $3
  FROM r
  RETURNING 1
),
f AS (UPDATE gameday_fires SET rollback_requested_at = $3 WHERE id = $4 AND rollback_requested_at IS NULL RETURNING 1)
SELECT (SELECT count(*) FROM r)::int AS reopened, (SELECT count(*) FROM f)::int AS marked,
  (SELECT count(*) FROM ev)::int AS written
`;

/** Returns true when the run was made to compensate (it had applied mitigations left). */
export async function requestRollback(
  db: Queryable,
  p: { fireId: string; runId: string | null; error: unknown; now: Date },
): Promise<boolean> {
  const [row] = await db.query(ROLLBACK_SQL, [p.runId, JSON.stringify(p.error), p.now, p.fireId]);
  return Number(row?.reopened ?? 0) > 0;
}

// One statement, so the run, its steps and its gates come from one snapshot (a rollback finishing between
// two reads would otherwise show a compensated run with mitigations still applied).
const SNAPSHOT_SQL = `
SELECT (SELECT row_to_json(r) FROM runs r WHERE r.id = $1) AS run,
  (SELECT COALESCE(json_agg(s), '[]'::json) FROM steps s WHERE s.run_id = $1) AS steps,
  (SELECT COALESCE(json_agg(a), '[]'::json) FROM approvals a WHERE a.run_id = $1) AS approvals
`;

export async function drillSnapshot(
  db: Queryable,
  p: { runId: string },
): Promise<{ run: RunRecord; steps: StepRecord[]; approvals: ApprovalRecord[] } | null> {
  const [row] = await db.query(SNAPSHOT_SQL, [p.runId]);
  if (!row?.run) return null;
  return {
    run: toRun(row.run as Row),
    steps: (row.steps as Row[]).map(toStep),
    approvals: (row.approvals as Row[]).map(toApproval),
  };
}
