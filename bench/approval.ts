// npm run bench:approval — how fast a decided gate wakes its run, beside DBOS's send → recv, and what
// waiting runs cost in memory. On PostgreSQL, with the HTTP API deciding (a real request per gate).
// Env: BENCH_PG_URL (server, no database), BENCH_WAKE_COUNT (1000), BENCH_RSS_RUNS (10000),
// BENCH_SKIP_DBOS=1 to measure firebreak alone.
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/config.ts';
import { runbook, z } from '../src/index.ts';
import { startServer } from '../src/server.ts';
import { until } from '../test/support/until.ts';
import { runDbosWakeBench } from './peers/dbos-wake.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';
import { roundTo, summarize } from './support/stats.ts';

const serverUrl = benchServerUrl;
const count = envInt('BENCH_WAKE_COUNT', 1000);
const rssRuns = envInt('BENCH_RSS_RUNS', 10_000);
const DATABASE = 'firebreak_bench_approval';

const committedAt = new Map<string, number>();
const stepStartedAt = new Map<string, number>();

const gated = runbook({ id: 'bench-gate', title: 'A gate, then a step', input: z.object({ i: z.number() }) })
  .approval('gate', { summary: 'bench' })
  .diagnostic('next', async ({ run }) => {
    stepStartedAt.set(run.id, performance.now());
    return { ok: true };
  });

/** The same work up to where `bench-gate` parks, without the gate: it runs to its end. */
const ungated = runbook({ id: 'bench-pass', title: 'A step, no gate', input: z.object({ i: z.number() }) })
  .diagnostic('first', async () => ({ ok: true }))
  .diagnostic('next', async () => ({ ok: true }));

/** Polls `check` every 100 ms until it holds (the shared `until` wants a value, not a boolean). */
const untilTrue = (check: () => Promise<boolean>, timeoutMs = 120_000) =>
  until(async () => ((await check()) ? true : null), timeoutMs, 100);

async function main() {
  await recreateDatabase(serverUrl, DATABASE);
  const config = parseConfig({
    DATABASE_URL: databaseUrl(serverUrl, DATABASE),
    PORT: '0',
    HOST: '127.0.0.1',
    RUNBOOKS_DIR: '/nonexistent',
    LOG_LEVEL: 'warn',
  });
  const server = await startServer(config, { print: () => {} });
  server.fb.registry.add(gated);
  server.fb.registry.add(ungated);
  const { store } = server.fb;
  // The decision's commit: the store call inside Approvals.decide has returned.
  server.approvals.onDecision((approval) => committedAt.set(approval.runId, performance.now()));
  // The call to the decision (after the HTTP request was parsed and authorised), for the figure that
  // includes the decision's own transaction: since issue 14 that transaction also ends the gate step.
  const calledAt = new Map<string, number>();
  const decide = server.approvals.decide.bind(server.approvals);
  server.approvals.decide = (approvalId, req) => {
    calledAt.set(approvalId, performance.now());
    return decide(approvalId, req);
  };
  const pending = async (n: number) => (await store.listApprovals({ status: 'pending' })).length >= n;

  try {
    // Wake latency: park `count` runs at their gates, then decide them one at a time through the API.
    const runIds: string[] = [];
    for (let i = 0; i < count; i++) runIds.push((await server.fb.start('bench-gate', { i })).runId);
    await untilTrue(() => pending(count));
    const approvals = await store.listApprovals({ status: 'pending' });
    const latencies: number[] = [];
    const fromCall: number[] = [];
    for (const a of approvals) {
      const res = await fetch(`${server.url}/api/approvals/${a.id}/approve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (res.status !== 200) throw new Error(`approve answered ${res.status}: ${await res.text()}`);
      await untilTrue(async () => stepStartedAt.has(a.runId), 10_000);
      latencies.push(stepStartedAt.get(a.runId)! - committedAt.get(a.runId)!);
      fromCall.push(stepStartedAt.get(a.runId)! - calledAt.get(a.id)!);
    }
    const wake = summarize(latencies);
    const call = summarize(fromCall);

    // Memory: RSS with `rssRuns` runs parked at gates against none, in one process from cold. RSS also
    // keeps what the burst of starts and executions grew (V8's heap pages, malloc's arenas), so the live
    // heap after a GC is printed beside it: that is what the waiting runs themselves hold.
    const burst = async (runbookId: string) => {
      const batch = 200;
      for (let i = 0; i < rssRuns; i += batch) {
        await Promise.all(
          Array.from({ length: Math.min(batch, rssRuns - i) }, (_, j) =>
            server.fb.start(runbookId, { i: i + j }),
          ),
        );
      }
    };
    const sample = () => {
      global.gc?.();
      return process.memoryUsage();
    };
    const mb = (n: number) => roundTo(n / 1024 / 1024, 1);
    const cold = sample();
    await burst('bench-gate');
    await untilTrue(() => pending(rssRuns));
    const parked = sample();
    const rssGrowthMb = mb(parked.rss - cold.rss);
    const heapGrowthMb = mb(parked.heapUsed - cold.heapUsed);

    // Leak check: as many runs again that run to their end must leave nothing behind in the heap.
    const finished = async () => {
      const [row] = await store.driver.query<{ n: number }>(
        `select count(*)::int as n from runs where runbook_id = 'bench-pass' and status = 'succeeded'`,
      );
      return row!.n >= rssRuns;
    };
    await burst('bench-pass');
    await untilTrue(finished);
    const finishedHeapMb = mb(sample().heapUsed - parked.heapUsed);
    return { wake, call, rssGrowthMb, heapGrowthMb, finishedHeapMb, active: server.fb.engine.activeRuns };
  } finally {
    await server.close();
  }
}

const r = await main();
console.log(
  `firebreak  wake after decision (${count} gates, API decisions): p50 ${roundTo(r.wake.p50, 2)} ms  ` +
    `p95 ${roundTo(r.wake.p95, 2)} ms  p99 ${roundTo(r.wake.p99, 2)} ms`,
);
console.log(
  `firebreak  from the call to decide (its transaction included) to the next step: p50 ${roundTo(r.call.p50, 2)} ms  ` +
    `p99 ${roundTo(r.call.p99, 2)} ms`,
);
const callFields = `decide_to_step_p50_ms=${roundTo(r.call.p50, 2)} decide_to_step_p99_ms=${roundTo(r.call.p99, 2)}`;
console.log(
  `firebreak  RSS growth with ${rssRuns} runs waiting at gates: ${r.rssGrowthMb} MB; live heap after GC: ` +
    `${r.heapGrowthMb} MB (executors in memory: ${r.active})`,
);
console.log(`firebreak  live heap after ${rssRuns} more runs ran to their end: ${r.finishedHeapMb} MB`);
if (process.env.BENCH_SKIP_DBOS === '1') {
  console.log(
    `RESULT bench:approval wake_p50_ms=${roundTo(r.wake.p50, 2)} wake_p99_ms=${roundTo(r.wake.p99, 2)} ` +
      `rss_growth_mb=${r.rssGrowthMb} heap_growth_mb=${r.heapGrowthMb} ${callFields}`,
  );
} else {
  const dbos = await runDbosWakeBench({ serverUrl, count });
  console.log(
    `dbos       send → recv wake (${count}): p50 ${dbos.p50} ms  p95 ${dbos.p95} ms  p99 ${dbos.p99} ms; ` +
      `from the call to send: p50 ${dbos.callP50} ms  p99 ${dbos.callP99} ms`,
  );
  console.log(
    `RESULT bench:approval wake_p50_ms=${roundTo(r.wake.p50, 2)} wake_p99_ms=${roundTo(r.wake.p99, 2)} ` +
      `dbos_wake_p99_ms=${dbos.p99} rss_growth_mb=${r.rssGrowthMb} heap_growth_mb=${r.heapGrowthMb} ${callFields} ` +
      `dbos_send_to_step_p50_ms=${dbos.callP50} dbos_send_to_step_p99_ms=${dbos.callP99}`,
  );
}
