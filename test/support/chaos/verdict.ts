// What a chaos run is judged by, read from firebreak's database and from the side-effects table the
// chaos runbooks write (test/fixtures/runbooks-chaos/chaos.ts). Every count but rerun_inflight must be 0.
import type postgres from 'postgres';
import { type ChaosInput, type Delivery, expectedStatus } from './load.ts';

const TERMINAL = ['succeeded', 'failed', 'cancelled', 'compensated', 'revert_failed'];

export interface Verdict {
  runs: number;
  terminalPct: number;
  stuck: number;
  /** A committed step, or a committed phase of a mitigation, whose side effect happened again after. */
  rerunCommitted: number;
  /** Runs that did not end `succeeded` with a mitigation applied and not reverted afterwards. */
  unreverted: number;
  lostAlerts: number;
  duplicateIncidents: number;
  /** Journal and attempt rows written twice by one commit (identical to the last timestamp). */
  duplicateJournalRows: number;
  /** A run whose end differs from what its input decides (an alert's run must succeed). */
  wrongOutcome: number;
  /** Side effects of steps that had not committed, done again after a takeover (allowed, kept low). */
  rerunInflight: number;
  /** Failed runs whose error does not name a step (a run may only fail for its own steps). */
  unexplainedFailures: number;
  alertRuns: number;
}

export async function judge(
  db: postgres.Sql,
  effects: postgres.Sql,
  expectedRuns: number,
  deliveries: Delivery[],
): Promise<Verdict> {
  const runs = await db<{ id: string; runbook_id: string; status: string; input: unknown; error: unknown }[]>`
    select id::text, runbook_id, status, input, error from runs`;
  const chaosRuns = runs.filter((r) => r.runbook_id === 'chaos');
  const alertRuns = runs.filter((r) => r.runbook_id === 'chaos-alert');
  const terminal = (r: { status: string }) => TERMINAL.includes(r.status);
  const wrong =
    chaosRuns.filter((r) => terminal(r) && r.status !== expectedStatus(r.input as ChaosInput)).length +
    alertRuns.filter((r) => terminal(r) && r.status !== 'succeeded').length;

  // Committed: a finished attempt row of the phase (run, apply, verify, revert), or for a verify that
  // passed (it writes no attempt row of its own) the step's final row.
  const committed = await db<{ run_id: string; step_key: string; phase: string; attempt: number }[]>`
    select run_id::text, step_key, phase, max(attempt)::int as attempt
    from step_attempts where status = 'succeeded' group by run_id, step_key, phase
    union all
    select run_id::text, step_key, 'verify', attempt from steps
    where kind = 'mitigation' and status = 'succeeded' and (state->>'verified')::boolean`;
  const committedAt = new Map(committed.map((c) => [`${c.run_id}/${c.step_key}/${c.phase}`, c.attempt]));
  const done = await effects<{ run_id: string; step: string; phase: string; attempt: number; at: Date }[]>`
    select run_id::text, step, phase, attempt, at from chaos_effects order by id`;
  let rerunCommitted = 0;
  const perPhase = new Map<string, number>();
  for (const e of done) {
    const key = `${e.run_id}/${e.step}/${e.phase}`;
    const at = committedAt.get(key);
    if (at !== undefined && e.attempt > at) rerunCommitted += 1;
    perPhase.set(key, (perPhase.get(key) ?? 0) + 1);
  }
  const rerunInflight = [...perPhase.values()].reduce((n, c) => n + c - 1, 0) - rerunCommitted;

  const ended = new Map(runs.map((r) => [r.id, r.status]));
  const lastApply = new Map<string, Date>();
  const lastRevert = new Map<string, Date>();
  for (const e of done) {
    const key = `${e.run_id}/${e.step}`;
    if (e.phase === 'apply') lastApply.set(key, e.at);
    if (e.phase === 'revert') lastRevert.set(key, e.at);
  }
  const unreverted = [...lastApply].filter(([key, at]) => {
    const status = ended.get(key.split('/')[0]!);
    if (status === 'succeeded') return false;
    const revert = lastRevert.get(key);
    return status === 'revert_failed' || !revert || revert < at;
  }).length;

  const [dups] = await db<{ events: number; attempts: number }[]>`
    select
      (select coalesce(sum(n - 1), 0)::int from (select count(*) n from events where run_id is not null
        group by run_id, step_key, type, data::text, at having count(*) > 1) e) as events,
      (select coalesce(sum(n - 1), 0)::int from (select count(*) n from step_attempts
        group by run_id, step_key, attempt, phase, status, started_at, finished_at having count(*) > 1) a)
        as attempts`;

  const incidents = await db<{ source: string; group_key: string; n: number }[]>`
    select source, group_key, count(*)::int n from incidents group by source, group_key`;
  const incidentCount = new Map(incidents.map((r) => [`${r.source}/${r.group_key}`, r.n]));
  const acknowledged = deliveries.filter((d) => d.acknowledgedAt !== null);
  const lostAlerts = acknowledged.filter((d) => !incidentCount.has(`${d.source}/${d.groupKey}`)).length;
  const duplicateIncidents = incidents.filter((r) => r.n > 1).reduce((n, r) => n + r.n - 1, 0);

  const unexplainedFailures = runs.filter((r) => {
    if (!['failed', 'compensated', 'revert_failed'].includes(r.status)) return false;
    const text = JSON.stringify(r.error ?? {});
    return !/"step"|approval_|verify_failed/.test(text);
  }).length;

  const stuck = runs.filter((r) => !terminal(r)).length + Math.max(0, expectedRuns - chaosRuns.length);
  return {
    runs: chaosRuns.length,
    terminalPct: Math.round((chaosRuns.filter(terminal).length / expectedRuns) * 1000) / 10,
    stuck,
    rerunCommitted,
    unreverted,
    lostAlerts,
    duplicateIncidents,
    duplicateJournalRows: dups!.events + dups!.attempts,
    wrongOutcome: wrong,
    rerunInflight,
    unexplainedFailures,
    alertRuns: alertRuns.length,
  };
}
