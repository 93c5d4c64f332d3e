// npm run bench:history — does history slow the engine, what does it cost, how fast does it go?
// 1. 1,000,000 finished 3-step runs generated in SQL (steps, attempts, 8 journal lines each, as the
//    engine writes them), finished over the last 100 days, in one database; then VACUUM ANALYZE, as
//    autovacuum would. Another database stays empty.
// 2. bench:engine's workload (3-step no-op runs, C=64) on the empty and on the full database, taking
//    turns for BENCH_HISTORY_ROUNDS rounds (so a busy moment of a shared machine hits both alike):
//    median runs/s of each and their ratio (target >= 0.9).
// 3. Bytes per finished run (tables and indexes grown by the fill), and retention at 90 days pruning
//    the oldest tenth: runs deleted per second.
// Env: BENCH_PG_URL (server), BENCH_HISTORY_RUNS (1000000), BENCH_RUNS (3000), BENCH_CONCURRENCY (64),
// BENCH_HISTORY_ROUNDS (3), BENCH_HISTORY_REUSE=1 to keep a database filled by an earlier run.
import postgres from 'postgres';
import { systemClock } from '../src/core/clock.ts';
import { silentLogger } from '../src/core/logger.ts';
import { connect } from '../src/db/driver.ts';
import { createFirebreak } from '../src/index.ts';
import { Pruner } from '../src/retention/pruner.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { noopRunbook, runNoops } from './support/noop-workload.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';
import { roundTo } from './support/stats.ts';

const DATABASE = 'firebreak_bench_history';
const EMPTY = 'firebreak_bench_history_empty';
const rounds = envInt('BENCH_HISTORY_ROUNDS', 3);
const reuse = process.env.BENCH_HISTORY_REUSE === '1';
const historyRuns = envInt('BENCH_HISTORY_RUNS', 1_000_000);
const runs = envInt('BENCH_RUNS', 3_000);
const concurrency = envInt('BENCH_CONCURRENCY', 64);
const CHUNK = 100_000;
const DAY = 86_400_000;

const url = databaseUrl(benchServerUrl, DATABASE);
const HISTORY_TABLES = ['runs', 'steps', 'step_attempts', 'events'];

/** bench:engine's workload on a fresh firebreak (fresh connections: no plan cached from before). */
async function workload(database: string): Promise<number> {
  const fb = await createFirebreak({
    databaseUrl: databaseUrl(benchServerUrl, database),
    runbooks: [noopRunbook],
    poolSize: 4,
    engine: { maxConcurrentRuns: Math.max(concurrency * 2, 200) },
  });
  try {
    await runNoops(fb, 200, 16);
    const measured = await runNoops(fb, runs, concurrency);
    return (runs / measured.wallMs) * 1000;
  } finally {
    await fb.close();
  }
}

async function historyBytes(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ bytes: string }[]>`
    select sum(pg_total_relation_size(c.oid))::text as bytes from pg_class c
    where c.relname = any(${HISTORY_TABLES}) and c.relkind = 'r'`;
  return Number(row!.bytes);
}

/** `count` finished runs as the engine leaves them, `offset` numbering their inputs. */
async function fill(sql: postgres.Sql, offset: number, count: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe('set local synchronous_commit = off');
    await tx.unsafe(`
      create temp table fill on commit drop as
      select pg_temp.uuid7(finished - interval '12 ms') as id, n, finished
      from (select n, now() - interval '1 minute' - random() * interval '100 days' as finished
            from generate_series(${offset + 1}, ${offset + count}) n) g
      order by finished`);
    await tx.unsafe(`
      insert into runs (id, runbook_id, runbook_version, plan, status, input, output, dry_run, claims,
        wake_at, created_at, updated_at, finished_at)
      select id, 'bench-noop', 'history-fill',
        '[{"name":"one","kind":"diagnostic"},{"name":"two","kind":"diagnostic"},{"name":"three","kind":"diagnostic"}]',
        'succeeded', jsonb_build_object('i', n),
        jsonb_build_object('one', jsonb_build_object('step', 1, 'i', n), 'two', '{"step":2,"prev":1}'::jsonb,
          'three', '{"step":3,"prev":2}'::jsonb),
        false, 1, null, finished - interval '12 ms', finished, finished
      from fill`);
    await tx.unsafe(`
      insert into steps (run_id, step_key, kind, status, attempt, output, state, idempotency_key, started_at,
        finished_at)
      select f.id, s.k, 'diagnostic', 'succeeded', 1, jsonb_build_object('step', s.i), '{"tries":{"run":1}}',
        f.id || ':' || s.k, f.finished - (4 - s.i) * interval '3 ms', f.finished - (3 - s.i) * interval '3 ms'
      from fill f cross join (values (1, 'one'), (2, 'two'), (3, 'three')) s(i, k)`);
    await tx.unsafe(`
      insert into step_attempts (run_id, step_key, attempt, phase, status, started_at, finished_at)
      select f.id, s.k, 1, 'run', 'succeeded', f.finished - (4 - s.i) * interval '3 ms',
        f.finished - (3 - s.i) * interval '3 ms'
      from fill f cross join (values (1, 'one'), (2, 'two'), (3, 'three')) s(i, k)`);
    await tx.unsafe(`
      insert into events (run_id, incident_id, step_key, type, data, at)
      select f.id, null, e.k, e.t, e.d::jsonb, f.finished - (8 - e.o) * interval '1 ms'
      from fill f cross join (values
        (1, null, 'run.created', null),
        (2, 'one', 'step.started', '{"attempt":1,"phase":"run"}'), (3, 'one', 'step.succeeded', '{"attempt":1}'),
        (4, 'two', 'step.started', '{"attempt":1,"phase":"run"}'), (5, 'two', 'step.succeeded', '{"attempt":1}'),
        (6, 'three', 'step.started', '{"attempt":1,"phase":"run"}'), (7, 'three', 'step.succeeded', '{"attempt":1}'),
        (8, null, 'run.succeeded', null)) e(o, k, t, d)
      order by f.finished, e.o`);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await recreateDatabase(benchServerUrl, EMPTY);
if (!reuse) await recreateDatabase(benchServerUrl, DATABASE);
await (await connect({ databaseUrl: url, poolSize: 1 })).close();
const sql = postgres(url, { max: 1, onnotice: () => {} });
const bytesBefore = reuse ? 0 : await historyBytes(sql);
// The engine's run ids are UUIDv7 (src/core/uuid.ts); the generated history's are too, made at its time.
await sql.unsafe(`
  create or replace function pg_temp.uuid7(t timestamptz) returns uuid language sql volatile as $$
    select encode(set_byte(b, 6, (get_byte(b, 6) & 15) | 112), 'hex')::uuid
    from (select overlay(uuid_send(gen_random_uuid())
      placing substring(int8send((extract(epoch from t) * 1000)::bigint) from 3) from 1 for 6) as b) x
  $$`);
if (!reuse) {
  const filling = Date.now();
  for (let done = 0; done < historyRuns; done += CHUNK) {
    await fill(sql, done, Math.min(CHUNK, historyRuns - done));
    console.log(`history  filling: ${Math.min(done + CHUNK, historyRuns)} finished runs`);
  }
  console.log(`history  filled in ${roundTo((Date.now() - filling) / 1000, 1)} s`);
  await sql.unsafe('vacuum analyze');
}
const [counts] = await sql<{ rows: string; runs: string }[]>`
  select ((select count(*) from runs) + (select count(*) from steps) + (select count(*) from step_attempts)
    + (select count(*) from events))::text as rows, (select count(*) from runs)::text as runs`;
const bytesPerRun = reuse ? null : ((await historyBytes(sql)) - bytesBefore) / historyRuns;
console.log(
  `history  ${counts!.runs} finished runs, ${counts!.rows} rows in runs, steps, attempts and journal`,
);

const empty: number[] = [];
const full: number[] = [];
for (let round = 1; round <= rounds; round++) {
  empty.push(await workload(EMPTY));
  full.push(await workload(DATABASE));
  console.log(
    `history  round ${round}: empty ${roundTo(empty.at(-1)!, 1)} runs/s, full ${roundTo(full.at(-1)!, 1)} runs/s ` +
      `(${runs} runs, C=${concurrency})`,
  );
}

// Retention at 90 days: the fill's oldest tenth (and nothing the workloads wrote) is past it.
const driver = await connect({ databaseUrl: url, poolSize: 1, migrate: false });
const pruner = new Pruner({
  driver,
  clock: systemClock,
  logger: silentLogger,
  owner: 'bench-history',
  intervalMs: 3_600_000,
  retentionMs: 90 * DAY,
  auditRetentionMs: 400 * DAY,
});
const report = await pruner.prune(new Date());
const pruned = report.deleted.runs ?? 0;
const prunePerS = pruned / (report.ms / 1000);
console.log(
  `history  retention (90 days): ${pruned} runs and their ${report.deleted.steps ?? 0} steps, ` +
    `${report.deleted.step_attempts ?? 0} attempts, ${report.deleted.events ?? 0} journal lines deleted in ` +
    `${roundTo(report.ms / 1000, 1)} s, in batches of 500`,
);
await driver.close();
await sql.end();

console.log(
  `RESULT bench:history rows=${counts!.rows} runs_per_s_empty=${roundTo(median(empty), 1)} ` +
    `runs_per_s_full=${roundTo(median(full), 1)} ratio=${roundTo(median(full) / median(empty), 2)} ` +
    `bytes_per_run=${bytesPerRun === null ? 'n/a' : Math.round(bytesPerRun)} prune_runs_per_s=${Math.round(prunePerS)}`,
);
