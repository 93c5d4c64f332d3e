// What the ingest benchmark left in the database: one incident and one run per alert group, a
// notification row per answered request, and how long firebreak_ingest() took inside PostgreSQL.
import type postgres from 'postgres';

export interface IngestCheck {
  /** Distinct bench groups that have an incident. */
  groupsWithIncident: number;
  /** Distinct bench groups whose incident has a run. */
  groupsWithRun: number;
  incidents: number;
  /** Distinct incidents with a run, and all runs. */
  incidentsWithRun: number;
  runs: number;
  runsFinished: number;
  runsSucceeded: number;
  notifications: number;
}

export async function checkIngest(sql: postgres.Sql, groupPrefix: string): Promise<IngestCheck> {
  const like = `${groupPrefix}%`;
  const [row] = await sql<IngestCheck[]>`
    with i as (select id, group_key from incidents where group_key like ${like}),
         r as (select r.incident_id, r.status, r.finished_at, i.group_key from runs r join i on i.id = r.incident_id)
    select
      (select count(distinct group_key) from i)::int as "groupsWithIncident",
      (select count(distinct group_key) from r)::int as "groupsWithRun",
      (select count(*) from i)::int as incidents,
      (select count(distinct incident_id) from r)::int as "incidentsWithRun",
      (select count(*) from r)::int as runs,
      (select count(*) from r where finished_at is not null)::int as "runsFinished",
      (select count(*) from r where status = 'succeeded')::int as "runsSucceeded",
      (select count(*) from notifications n join i on i.id = n.incident_id)::int as notifications`;
  return row!;
}

/** Calls and total time of firebreak_ingest(), once at least `calls` calls are counted (or after 15 s). */
export async function ingestFunctionTime(
  sql: postgres.Sql,
  calls: number,
): Promise<{ calls: number; totalMs: number }> {
  // Backends report statistics when idle, up to ten seconds late: wait until the expected calls show.
  const deadline = Date.now() + 15_000;
  for (;;) {
    await sql`select pg_stat_clear_snapshot()`;
    const [row] = await sql<{ calls: number; totalMs: number }[]>`
      select coalesce(sum(calls), 0)::int as calls, coalesce(sum(total_time), 0)::float8 as "totalMs"
      from pg_stat_user_functions where funcname = 'firebreak_ingest'`;
    if (row!.calls >= calls || Date.now() > deadline) return row!;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * When the first step of each run started, on the clock of bench/runbooks-ingest (its `ack` step's
 * output `startedMonoMs`); runs whose step has not succeeded are missing from the map.
 */
export async function firstStepStarts(sql: postgres.Sql, runIds: string[]): Promise<Map<string, number>> {
  const rows = await sql<{ runId: string; startedMonoMs: number }[]>`
    select run_id::text as "runId", (output->>'startedMonoMs')::float8 as "startedMonoMs"
    from steps
    where run_id = any(${runIds}::uuid[]) and step_key = 'ack' and status = 'succeeded'
      and output ? 'startedMonoMs'`;
  return new Map(rows.map((r) => [r.runId, r.startedMonoMs]));
}
