// npm run bench:engine — firebreak beside DBOS Transact on the same PostgreSQL server, same run.
// Workload: a runbook of three no-op steps returning small JSON, each step committed before the next.
// Besides throughput and latency it prints, from the same run, floor_c1_ms (what C=1 cannot beat: the
// sequential durable commits a run needs × this database's one-row commit p50, see commitFloor) and the
// CPU each run costs during the throughput phase: engine_cpu_ms_per_run (this process, which is the
// firebreak engine plus the loop calling fb.run) and pg_cpu_ms_per_run (firebreak's backends, found by
// application_name), both from /proc, so they hold when the machine is shared and runs/s does not.
// commit_floor_c1_ms: the same sequential commits, each the engine's own commit of one step instead of a
// one-row INSERT (stepCommitFloor): what C=1 would take if the engine around its commits cost nothing.
// Env: BENCH_PG_URL (server, no database), BENCH_RUNS (4000), BENCH_CONCURRENCY (64),
// BENCH_LATENCY_RUNS (300), BENCH_SKIP_DBOS=1 to measure firebreak alone.
import postgres from 'postgres';
import { uuidv7 } from '../src/core/uuid.ts';
import { createFirebreak, type Firebreak } from '../src/index.ts';
import { runDbosEngineBench } from './peers/dbos-engine.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { noopRunbook, runNoops } from './support/noop-workload.ts';
import { backendPids, databaseUrl, recreateDatabase } from './support/pg.ts';
import { minus, type SchedTime, schedOf, schedOfAll } from './support/proc-cpu.ts';
import { measureEach, roundTo, summarize } from './support/stats.ts';

const serverUrl = benchServerUrl;
const runs = envInt('BENCH_RUNS', 4000);
const concurrency = envInt('BENCH_CONCURRENCY', 64);
const latencyRuns = envInt('BENCH_LATENCY_RUNS', 300);
const DATABASE = 'firebreak_bench_engine';
const FLOOR_SAMPLES = 300;
/**
 * The fewest sequential durable commits a run of bench-noop (three steps in a chain) needs, following
 * ARCHITECTURE.md "Rules the engine keeps" and the executor:
 * 1. Engine.start commits the run (createRuns) and, with room here, executes it at once: the lease is
 *    written with the run, no claim round trip;
 * 2.–4. each step's result is committed before the step that needs it starts (rule 1: the executor
 *    awaits the commit before it looks for ready steps), and the third step's commit also carries the
 *    run's completion (RunExecutor.completionFor), so there is no fifth commit. The `step.started`
 *    markers are not waited for (attempts.ts, `wait: false`): they ride with the next group commit.
 * Fewer would mean a step starting before its predecessor's output is durable, or a run executing
 * before it exists in the database.
 */
const SEQUENTIAL_COMMITS = 4;

/**
 * p50 of one durable commit here: an autocommit INSERT of one small row into a scratch table, sent
 * sequentially FLOOR_SAMPLES times through firebreak's own driver (the same pool, connection settings and
 * database as the engine's commits). Taken while the engine is idle, right after the C=1 phase.
 */
async function commitFloor(fb: Firebreak): Promise<{ commitP50: number; floorMs: number }> {
  const db = fb.store.driver;
  await db.query('create table bench_commit_floor (id bigserial primary key, note text not null)');
  const batch = await measureEach(FLOOR_SAMPLES, 1, async (i) => {
    await db.query('insert into bench_commit_floor (note) values ($1)', [`floor ${i}`]);
  });
  const commitP50 = summarize(batch.latencies).p50;
  return { commitP50, floorMs: commitP50 * SEQUENTIAL_COMMITS };
}

/**
 * p50 of one step's commit as the engine writes it (the store's own commit path: the `step.started`
 * marker riding along, the step row, its attempt and `step.succeeded`), sent sequentially FLOOR_SAMPLES
 * times for one run leased to a worker of its own, taken right after commitFloor. `commitFloorMs` is
 * SEQUENTIAL_COMMITS of them: the C=1 floor if the engine itself cost nothing, so p50_c1_ms over it is
 * the engine's own share (the proposal of issue 14's note).
 */
async function stepCommitFloor(fb: Firebreak): Promise<{ stepCommitP50: number; commitFloorMs: number }> {
  const owner = 'bench-commit-floor';
  const runId = uuidv7();
  const now = new Date();
  await fb.store.createRuns([
    {
      id: runId,
      runbookId: 'bench-noop',
      runbookVersion: 'floor',
      plan: [],
      input: {},
      dryRun: false,
      idempotencyKey: null,
      concurrencyKey: null,
      incidentId: null,
      requestedBy: null,
      leaseOwner: owner,
      leaseExpiresAt: new Date(now.getTime() + 3_600_000),
      now,
    },
  ]);
  const lease = { owner, epoch: 1 };
  const batch = await measureEach(FLOOR_SAMPLES, 1, async (i) => {
    const stepKey = `s${i}`;
    const at = new Date();
    const marker = { type: 'step.started', stepKey, data: { attempt: 1, phase: 'run', try: 1 }, at };
    void fb.store.commit(lease, { runId, incidentId: null, events: [marker] }, { wait: false });
    await fb.store.commit(lease, {
      runId,
      incidentId: null,
      steps: [
        {
          stepKey,
          kind: 'diagnostic',
          status: 'succeeded',
          attempt: 1,
          output: { step: i },
          state: { tries: { run: 1 } },
          idempotencyKey: `${runId}:${stepKey}`,
          startedAt: at,
          finishedAt: at,
        },
      ],
      attempts: [{ stepKey, attempt: 1, phase: 'run', status: 'succeeded', startedAt: at, finishedAt: at }],
      events: [{ type: 'step.succeeded', stepKey, data: { attempt: 1, phase: 'run', try: 1 }, at }],
    });
  });
  const stepCommitP50 = summarize(batch.latencies).p50;
  return { stepCommitP50, commitFloorMs: stepCommitP50 * SEQUENTIAL_COMMITS };
}

/** CPU of this process (the engine) and of firebreak's backends while `phase` runs. */
async function measureCpu<T>(
  sql: postgres.Sql,
  phase: () => Promise<T>,
): Promise<{ result: T; engine: SchedTime; pg: SchedTime; backends: number }> {
  const pids = await backendPids(sql, DATABASE);
  const before = { engine: schedOf(process.pid), pg: schedOfAll(pids) };
  const result = await phase();
  // A backend opened during the phase counts from its start; one closed during it is lost (the pool
  // keeps its connections, so none should be).
  const all = [...new Set([...pids, ...(await backendPids(sql, DATABASE))])];
  return {
    result,
    engine: minus(schedOf(process.pid), before.engine),
    pg: minus(schedOfAll(all), before.pg),
    backends: all.length,
  };
}

async function benchFirebreak() {
  await recreateDatabase(serverUrl, DATABASE);
  // The bench's own session, only for finding firebreak's backends in pg_stat_activity.
  const sql = postgres(databaseUrl(serverUrl, DATABASE), { max: 1, onnotice: () => {} });
  const fb = await createFirebreak({
    databaseUrl: databaseUrl(serverUrl, DATABASE),
    runbooks: [noopRunbook],
    poolSize: 4,
    engine: { maxConcurrentRuns: Math.max(concurrency * 2, 200) },
  });
  try {
    await runNoops(fb, 200, 16);
    const {
      result: throughput,
      engine,
      pg,
      backends,
    } = await measureCpu(sql, () => runNoops(fb, runs, concurrency));
    const c1 = await runNoops(fb, latencyRuns, 1);
    const floor = await commitFloor(fb);
    const check = await exactlyOnce(fb.store.driver);
    // After the check: its steps are not the workload's.
    const engineFloor = await stepCommitFloor(fb);
    const runsPerS = (runs / throughput.wallMs) * 1000;
    return {
      runsPerS: roundTo(runsPerS, 1),
      stepsPerS: roundTo(runsPerS * 3, 1),
      ...summarize(throughput.latencies),
      c1: summarize(c1.latencies),
      floor,
      engineFloor,
      cpu: {
        windowS: throughput.wallMs / 1000,
        engineS: engine.cpuS,
        pgS: pg.cpuS,
        backends,
        engineMsPerRun: roundTo((engine.cpuS / runs) * 1000, 3),
        pgMsPerRun: roundTo((pg.cpuS / runs) * 1000, 3),
      },
      check,
    };
  } finally {
    await fb.close();
    await sql.end({ timeout: 5 });
  }
}

/** Every step of every run committed exactly once: one step row, attempt 1, one attempt row each. */
async function exactlyOnce(driver: { query(text: string): Promise<Record<string, unknown>[]> }) {
  const [row] = await driver.query(`
    select (select count(*) from runs where status = 'succeeded')::int as runs,
           (select count(*) from steps where status = 'succeeded' and attempt = 1)::int as steps,
           (select count(*) from step_attempts)::int as attempts,
           (select count(*) from (select 1 from step_attempts group by run_id, step_key having count(*) > 1) d)::int
             as repeated`);
  return row as { runs: number; steps: number; attempts: number; repeated: number };
}

const fmt = (s: { p50: number; p95: number; p99: number }) =>
  `p50 ${roundTo(s.p50, 2)} ms  p95 ${roundTo(s.p95, 2)} ms  p99 ${roundTo(s.p99, 2)} ms`;

const fb = await benchFirebreak();
console.log(
  `firebreak  ${runs} runs, C=${concurrency}: ${fb.runsPerS} runs/s, ${fb.stepsPerS} steps/s, ${fmt(fb)}`,
);
console.log(`firebreak  C=1 x ${latencyRuns}: ${fmt(fb.c1)}`);
const floorC1 = roundTo(fb.floor.floorMs, 2);
console.log(
  `firebreak  floor at C=1: ${SEQUENTIAL_COMMITS} sequential commits x one-row INSERT commit p50 ` +
    `${roundTo(fb.floor.commitP50, 3)} ms (${FLOOR_SAMPLES} sequential) = ${floorC1} ms; ` +
    `C=1 p50 is ${roundTo(fb.c1.p50 / fb.floor.floorMs, 2)}x the floor`,
);
console.log(
  `firebreak  CPU during the ${runs} runs (${roundTo(fb.cpu.windowS, 1)} s): engine process ` +
    `${roundTo(fb.cpu.engineS, 2)} s (${fb.cpu.engineMsPerRun} ms/run), its ${fb.cpu.backends} postgres backends ` +
    `${roundTo(fb.cpu.pgS, 2)} s (${fb.cpu.pgMsPerRun} ms/run)`,
);
const commitFloorC1 = roundTo(fb.engineFloor.commitFloorMs, 2);
console.log(
  `firebreak  the engine's own commit at C=1: ${SEQUENTIAL_COMMITS} x one step's commit p50 ` +
    `${roundTo(fb.engineFloor.stepCommitP50, 3)} ms (${FLOOR_SAMPLES} sequential) = ${commitFloorC1} ms; ` +
    `C=1 p50 is ${roundTo(fb.c1.p50 / fb.engineFloor.commitFloorMs, 2)}x that`,
);
const costs =
  `floor_c1_ms=${floorC1} commit_floor_c1_ms=${commitFloorC1} engine_cpu_ms_per_run=${fb.cpu.engineMsPerRun} ` +
  `pg_cpu_ms_per_run=${fb.cpu.pgMsPerRun}`;
console.log(
  `firebreak  check: ${fb.check.runs} runs succeeded, ${fb.check.steps} steps committed once, ` +
    `${fb.check.attempts} attempts, ${fb.check.repeated} steps run twice`,
);
const expectedRuns = runs + latencyRuns + 200;
if (fb.check.runs !== expectedRuns || fb.check.steps !== expectedRuns * 3 || fb.check.repeated !== 0) {
  console.error('exactly-once check FAILED');
  process.exitCode = 1;
}

if (process.env.BENCH_SKIP_DBOS === '1') {
  console.log(`RESULT bench:engine runs_per_s=${fb.runsPerS} p50_c1_ms=${roundTo(fb.c1.p50, 2)} ${costs}`);
} else {
  const dbos = await runDbosEngineBench({ serverUrl, runs, concurrency, latencyRuns });
  console.log(
    `dbos       ${runs} runs, C=${concurrency}: ${dbos.runsPerS} runs/s, ${dbos.stepsPerS} steps/s, ${fmt(dbos)}`,
  );
  console.log(`dbos       C=1 x ${latencyRuns}: ${fmt(dbos.c1)}`);
  const ratio = roundTo(fb.runsPerS / dbos.runsPerS, 2);
  console.log(
    `RESULT bench:engine runs_per_s=${fb.runsPerS} dbos_runs_per_s=${dbos.runsPerS} ratio=${ratio} ` +
      `p50_c1_ms=${roundTo(fb.c1.p50, 2)} dbos_p50_c1_ms=${roundTo(dbos.c1.p50, 2)} ${costs}`,
  );
}
