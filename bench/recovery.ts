// npm run bench:recovery — how long until a killed worker's runs run again elsewhere, and whether any
// committed step runs twice on the way. Two worker processes (test/support/worker-process.ts) share one
// PostgreSQL database: A holds every run in the middle of its second step (step one committed), B is idle
// beside it. A is SIGKILLed; we time until B has started step two of every run again, then count the
// committed steps whose side effect (a side_effects row) happened more than once.
// Env: BENCH_PG_URL (server, no database), BENCH_RECOVERY_RUNS (100).
import { performance } from 'node:perf_hooks';
import { createFirebreak } from '../src/index.ts';
import {
  createSideEffectsTableSql,
  type SideEffectRow,
  selectSideEffectsSql,
  sideEffectRunbook,
} from '../test/support/side-effects.ts';
import { until } from '../test/support/until.ts';
import { WorkerChild, type WorkerLine } from '../test/support/worker-child.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';
import { roundTo } from './support/stats.ts';

const serverUrl = benchServerUrl;
const runs = envInt('BENCH_RECOVERY_RUNS', 100);
const DATABASE = 'firebreak_bench_recovery';
const timings = { leaseMs: 2_000, heartbeatMs: 500, pollMs: 250 };
const TARGET_TAKEOVER_S = 5;

// This process only creates runs and reads the outcome; the workers execute.
const enqueueOnly = sideEffectRunbook(async () => {
  throw new Error('the bench process does not work');
});

interface Outcome {
  firstS: number;
  takeoverS: number;
  committedAtKill: number;
  recommitted: number;
  rerunSameKey: number;
  succeeded: number;
}

async function benchRecovery(): Promise<Outcome> {
  await recreateDatabase(serverUrl, DATABASE);
  const url = databaseUrl(serverUrl, DATABASE);
  const fb = await createFirebreak({ databaseUrl: url, runbooks: [enqueueOnly], work: false, poolSize: 4 });
  const workers: WorkerChild[] = [];
  try {
    await fb.store.driver.query(createSideEffectsTableSql);
    const a = await WorkerChild.start({
      databaseUrl: url,
      workerId: 'recovery-a',
      blockStep: 'two',
      ...timings,
    });
    workers.push(a);
    const ids = new Set(
      (await Promise.all(Array.from({ length: runs }, (_, i) => fb.start('side-effects', { i })))).map(
        (r) => r.runId,
      ),
    );
    const inTwo = (l: WorkerLine) => l.event === 'step.blocked' && l.step === 'two' && ids.has(l.runId!);
    await a.waitForCount(inTwo, runs, 60_000);

    // B starts only now: A's heartbeats keep every lease, so B has nothing to claim until A dies.
    const b = await WorkerChild.start({ databaseUrl: url, workerId: 'recovery-b', ...timings });
    workers.push(b);
    const killedAt = performance.now();
    await a.kill();
    const committed = await fb.store.driver.query<{ run_id: string; step_key: string }>(
      `select run_id::text as run_id, step_key from steps where status = 'succeeded'`,
    );
    if (b.matching((l) => l.event === 'run.claimed').some((l) => l.takeover !== true)) {
      throw new Error('worker B claimed a run before A was killed');
    }

    const resumed = await b.waitForCount(
      (l) => l.event === 'step.started' && l.step === 'two' && ids.has(l.runId!),
      runs,
      60_000,
    );
    const firstS = (Math.min(...resumed.map((l) => l.receivedAt)) - killedAt) / 1000;
    const takeoverS = (Math.max(...resumed.map((l) => l.receivedAt)) - killedAt) / 1000;

    const succeeded = await until(async () => {
      const [row] = await fb.store.driver.query<{ n: number }>(
        `select count(*)::int as n from runs where status = 'succeeded'`,
      );
      return row!.n === runs ? row!.n : null;
    }, 60_000);
    const effects = await fb.store.driver.query<SideEffectRow & Record<string, unknown>>(
      selectSideEffectsSql,
    );
    const calls = new Map<string, SideEffectRow[]>();
    for (const e of effects)
      calls.set(`${e.runId}/${e.step}`, [...(calls.get(`${e.runId}/${e.step}`) ?? []), e]);
    const recommitted = committed.reduce(
      (sum, c) => sum + Math.max(0, (calls.get(`${c.run_id}/${c.step_key}`)?.length ?? 0) - 1),
      0,
    );
    const rerunSameKey = [...ids].filter((id) => {
      const two = calls.get(`${id}/two`) ?? [];
      return (
        two.length === 2 &&
        two[0]!.pid === a.pid &&
        two[1]!.pid === b.pid &&
        two.every((e) => e.idempotencyKey === `${id}:two`)
      );
    }).length;
    return { firstS, takeoverS, committedAtKill: committed.length, recommitted, rerunSameKey, succeeded };
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await fb.close();
  }
}

const r = await benchRecovery();
const takeover = roundTo(r.takeoverS, 2);
console.log(
  `recovery  workers: leaseMs=${timings.leaseMs} heartbeatMs=${timings.heartbeatMs} ` +
    `pollIntervalMs=${timings.pollMs}; ${runs} runs in flight on worker A (in step two), worker B idle`,
);
console.log(
  `recovery  A SIGKILLed: first run resumed on B after ${roundTo(r.firstS, 2)} s, ` +
    `all ${runs} after ${takeover} s (target <= ${TARGET_TAKEOVER_S} s)`,
);
console.log(
  `recovery  check: ${r.succeeded}/${runs} runs succeeded; ${r.committedAtKill} steps committed at the kill, ` +
    `${r.recommitted} of them ran again (target 0); ${r.rerunSameKey}/${runs} interrupted steps ran again ` +
    `on B with the same idempotency key`,
);
if (r.succeeded !== runs || r.rerunSameKey !== runs || r.committedAtKill < runs) {
  console.error('recovery check FAILED');
  process.exitCode = 1;
}
console.log(`RESULT bench:recovery takeover_s=${takeover} recommitted_steps=${r.recommitted}`);
