// npm run bench:chaos — every fault at once under load (test/support/chaos/chaos.ts): 2 serve + 3 worker
// processes on a private PostgreSQL server behind TCP proxies, 1,000 runs (diagnostic, gated mitigation
// decided by a scripted approver, a verify that fails for a tenth, a final step) and 500 webhook
// deliveries over about a minute, while a random process is SIGKILLed every 2–3 s, PostgreSQL restarts
// once (`pg_ctl restart -m fast`), one worker's connections are cut for 10 s and one serve is killed.
// Env: BENCH_PG_URL (a server the chaos leaves alone, for the side-effects table), BENCH_CHAOS_RUNS
// (1000), BENCH_CHAOS_ALERTS (500), BENCH_CHAOS_LOAD_S (60), BENCH_CHAOS_SEED (13).
import { resultLine, runChaos } from '../test/support/chaos/chaos.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';

const DATABASE = 'firebreak_bench_chaos_effects';
const runs = envInt('BENCH_CHAOS_RUNS', 1000);
const alerts = envInt('BENCH_CHAOS_ALERTS', 500);
const loadS = envInt('BENCH_CHAOS_LOAD_S', 60);

await recreateDatabase(benchServerUrl, DATABASE);
const r = await runChaos({
  runs,
  alerts,
  loadMs: loadS * 1000,
  effectsUrl: databaseUrl(benchServerUrl, DATABASE),
  drainTimeoutMs: 120_000,
  seed: envInt('BENCH_CHAOS_SEED', 13),
  log: (line) => console.log(`chaos  ${line}`),
});
console.log(
  `chaos  load: ${runs} runs (${r.runsResent} requests sent again), ${r.decisions} gates decided, ` +
    `${r.alertsAcknowledged}/${alerts} deliveries acknowledged (${r.alertsResent} resent), ${r.alertRuns} alert runs`,
);
console.log(
  `chaos  processes: ${r.neverReady.length} starts never became ready (${r.neverReady.join(', ') || '-'}), ` +
    `${r.crashes.length} unexpected exits; slowest SIGTERM exit ${r.shutdownS} s`,
);
for (const c of r.crashes.slice(0, 5))
  console.log(`chaos  exit of ${c.workerId} (${c.code}): ${c.tail.replace(/\s+/g, ' ').slice(-200)}`);
console.log(`chaos  failed runs whose error names no step: ${r.unexplainedFailures}`);
for (const l of r.failedRunLogLines.slice(0, 3)) console.log(`chaos  log: ${l.slice(0, 300)}`);
console.log(resultLine(r));
