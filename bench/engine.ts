// npm run bench:engine — firebreak beside DBOS Transact on the same PostgreSQL server, same run.
// Workload: a runbook of three no-op steps returning small JSON, each step committed before the next.
// Env: BENCH_PG_URL (server, no database), BENCH_RUNS (4000), BENCH_CONCURRENCY (64),
// BENCH_LATENCY_RUNS (300), BENCH_SKIP_DBOS=1 to measure firebreak alone.
import { createFirebreak } from '../src/index.ts';
import { runDbosEngineBench } from './peers/dbos-engine.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { noopRunbook, runNoops } from './support/noop-workload.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';
import { roundTo, summarize } from './support/stats.ts';

const serverUrl = benchServerUrl;
const runs = envInt('BENCH_RUNS', 4000);
const concurrency = envInt('BENCH_CONCURRENCY', 64);
const latencyRuns = envInt('BENCH_LATENCY_RUNS', 300);
const DATABASE = 'firebreak_bench_engine';

async function benchFirebreak() {
  await recreateDatabase(serverUrl, DATABASE);
  const fb = await createFirebreak({
    databaseUrl: databaseUrl(serverUrl, DATABASE),
    runbooks: [noopRunbook],
    poolSize: 4,
    engine: { maxConcurrentRuns: Math.max(concurrency * 2, 200) },
  });
  try {
    await runNoops(fb, 200, 16);
    const throughput = await runNoops(fb, runs, concurrency);
    const c1 = await runNoops(fb, latencyRuns, 1);
    const check = await exactlyOnce(fb.store.driver);
    const runsPerS = (runs / throughput.wallMs) * 1000;
    return {
      runsPerS: roundTo(runsPerS, 1),
      stepsPerS: roundTo(runsPerS * 3, 1),
      ...summarize(throughput.latencies),
      c1: summarize(c1.latencies),
      check,
    };
  } finally {
    await fb.close();
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
  console.log(`RESULT bench:engine runs_per_s=${fb.runsPerS} p50_c1_ms=${roundTo(fb.c1.p50, 2)}`);
} else {
  const dbos = await runDbosEngineBench({ serverUrl, runs, concurrency, latencyRuns });
  console.log(
    `dbos       ${runs} runs, C=${concurrency}: ${dbos.runsPerS} runs/s, ${dbos.stepsPerS} steps/s, ${fmt(dbos)}`,
  );
  console.log(`dbos       C=1 x ${latencyRuns}: ${fmt(dbos.c1)}`);
  const ratio = roundTo(fb.runsPerS / dbos.runsPerS, 2);
  console.log(
    `RESULT bench:engine runs_per_s=${fb.runsPerS} dbos_runs_per_s=${dbos.runsPerS} ratio=${ratio} ` +
      `p50_c1_ms=${roundTo(fb.c1.p50, 2)} dbos_p50_c1_ms=${roundTo(dbos.c1.p50, 2)}`,
  );
}
