// A commit must cost the same with a million finished runs as with none. PL/pgSQL caches a generic plan
// per connection after five calls; made while the tables were small, it scanned runs and steps on every
// later commit until an ANALYZE (bench:engine's C=1 latency doubled over 4,000 runs). Here the plans
// are cached on a near-empty database, the tables grow behind the connection's back, and one more
// commit must not scan either table.
import postgres from 'postgres';
import { describe, expect, test } from 'vitest';
import { onPostgres, testDatabase } from '../support/db.ts';

const OWNER = 'plans-test';

/** A transition that touches every branch that runs on a finishing run: step, attempt, journal, run. */
function finishing(runId: string, now: string) {
  return JSON.stringify({
    leases: [{ id: runId, epoch: 1 }],
    steps: [
      {
        run_id: runId,
        step_key: 'one',
        kind: 'diagnostic',
        status: 'succeeded',
        attempt: 1,
        output: { ok: true },
        error: null,
        state: {},
        applied: false,
        idempotency_key: `${runId}:one`,
        started_at: now,
        finished_at: now,
      },
    ],
    attempts: [
      {
        run_id: runId,
        step_key: 'one',
        attempt: 1,
        phase: 'run',
        status: 'succeeded',
        error: null,
        started_at: now,
        finished_at: now,
      },
    ],
    events: [
      {
        run_id: runId,
        incident_id: null,
        step_key: 'one',
        type: 'step.succeeded',
        data: null,
        at: now,
        ord: 0,
      },
    ],
    evidence: [],
    approvals: [],
    runs: [
      {
        id: runId,
        status: 'succeeded',
        set_output: true,
        output: { one: { ok: true } },
        set_error: false,
        set_wake: true,
        wake_at: null,
        release: true,
        runbook_version: null,
        finished_at: now,
      },
    ],
    terminal: [runId],
  });
}

const leasedRuns = (n: number) => `
  INSERT INTO runs (id, runbook_id, runbook_version, plan, status, input, lease_owner, lease_expires_at,
    wake_at, claims, created_at, updated_at)
  SELECT gen_random_uuid(), 'rb', 'v1', '[]', 'running', '{}', '${OWNER}', now() + interval '1 hour',
    now(), 1, now(), now()
  FROM generate_series(1, ${n})
  RETURNING id::text AS id`;

describe.skipIf(!onPostgres)('plans of the commit function', () => {
  test('plans cached on small tables still use the indexes once the tables have grown', async () => {
    await using db = await testDatabase();
    const sql = postgres(db.databaseUrl!, { max: 1, onnotice: () => {} });
    const other = postgres(db.databaseUrl!, { max: 1, onnotice: () => {} });
    try {
      const commit = (runId: string) =>
        sql`SELECT run_id FROM firebreak_apply_transitions(${OWNER}, ${finishing(runId, new Date().toISOString())}::text::jsonb, now())`;
      // Ten commits on a near-empty database: past the five calls after which a generic plan is cached.
      for (const { id } of await sql.unsafe(leasedRuns(10)))
        expect(await commit(id)).toEqual([{ run_id: id }]);

      // History arrives through another connection; nothing analyzes the tables.
      const grown = await other.unsafe(leasedRuns(5_000));
      await other.unsafe(`
        INSERT INTO steps (run_id, step_key, kind, status, attempt, state, idempotency_key)
        SELECT r.id, k, 'diagnostic', 'succeeded', 1, '{}', r.id || ':' || k
        FROM runs r, unnest(ARRAY['a', 'b', 'c', 'd']) k`);

      const scans = await sql.begin(async (tx) => {
        const [row] =
          await tx`SELECT run_id FROM firebreak_apply_transitions(${OWNER}, ${finishing(grown[0]!.id, new Date().toISOString())}::text::jsonb, now())`;
        expect(row).toEqual({ run_id: grown[0]!.id });
        return tx`SELECT relname, seq_scan::int AS seq_scan, coalesce(idx_scan, 0)::int AS idx_scan
                  FROM pg_stat_xact_user_tables WHERE relname IN ('runs', 'steps') ORDER BY relname`;
      });
      expect(scans).toEqual([
        { relname: 'runs', seq_scan: 0, idx_scan: expect.any(Number) },
        { relname: 'steps', seq_scan: 0, idx_scan: expect.any(Number) },
      ]);
      expect(scans.every((s) => s.idx_scan > 0)).toBe(true);
      const [run] = await other`SELECT status FROM runs WHERE id = ${grown[0]!.id}`;
      expect(run).toEqual({ status: 'succeeded' });
    } finally {
      await sql.end();
      await other.end();
    }
  });
});
