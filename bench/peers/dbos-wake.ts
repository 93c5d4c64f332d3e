// DBOS Transact peer of our wake-up benchmark: how long after DBOS.send commits does a workflow parked
// in DBOS.recv run its next line of code.
import { performance } from 'node:perf_hooks';
import { DBOS, type WorkflowHandle } from '@dbos-inc/dbos-sdk';
import postgres from 'postgres';
import { benchServerUrl, envInt } from '../support/env.ts';
import { databaseUrl } from '../support/pg.ts';
import { measureEach, roundTo, summarize } from '../support/stats.ts';
import { isDirectRun, launchDbos } from './dbos-engine.ts';

export interface DbosWakeFigures {
  /** From send's commit (send returned) to the line after recv. */
  p50: number;
  p95: number;
  p99: number;
  /** From the call to send (its transaction included) to the line after recv. */
  callP50: number;
  callP99: number;
}

export interface DbosWakeBenchOptions {
  serverUrl: string;
  count: number;
  /** DBOS system-database pool size; omitted means DBOS's own default (10). */
  poolSize?: number;
}

export const DBOS_WAKE_DATABASE = 'firebreak_bench_dbos_wake';
const TOPIC = 'firebreak-bench-wake';
const START_CONCURRENCY = 64;
// Far beyond any run, so no waiter times out; recv's default of 60 s would.
const RECV_TIMEOUT_S = 3600;
const PARK_TIMEOUT_MS = 120_000;
// Once every recv has recorded its timeout, give the waiters time to subscribe and do their first check.
const SETTLE_MS = 1000;

/** Resolved, in-process, with performance.now() from the line right after recv in each workflow. */
const wokenAt = new Map<string, (atMs: number) => void>();

// DBOS refuses registration after launch, so we register lazily, once per process, just before launch.
let waiterWorkflow: (() => Promise<void>) | undefined;

function registeredWaiter(): () => Promise<void> {
  waiterWorkflow ??= DBOS.registerWorkflow(waitForMessage, { name: 'firebreakBenchWaiter' });
  return waiterWorkflow;
}

async function waitForMessage(): Promise<void> {
  await DBOS.recv<string>(TOPIC, { timeoutSeconds: RECV_TIMEOUT_S });
  const atMs = performance.now();
  // Not durable on purpose: the timestamp belongs to this process's measurement, not to the workflow.
  const id = DBOS.workflowID;
  if (id !== undefined) wokenAt.get(id)?.(atMs);
}

export async function runDbosWakeBench(opts: DbosWakeBenchOptions): Promise<DbosWakeFigures> {
  const waiter = registeredWaiter();
  await launchDbos({
    serverUrl: opts.serverUrl,
    database: DBOS_WAKE_DATABASE,
    ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }),
  });
  try {
    const ids = Array.from({ length: opts.count }, (_, i) => `firebreak-wake-${i}`);
    const wakes = new Map(ids.map((id) => [id, expectWake(id)]));
    const handles = await startWaiters(waiter, ids);
    await untilAllParked(opts.serverUrl, opts.count);
    const { latencies, fromCall } = await sendOneByOne(ids, wakes);
    await Promise.all(handles.map((handle) => handle.getResult()));
    const summary = summarize(latencies);
    const call = summarize(fromCall);
    return {
      p50: roundTo(summary.p50, 2),
      p95: roundTo(summary.p95, 2),
      p99: roundTo(summary.p99, 2),
      callP50: roundTo(call.p50, 2),
      callP99: roundTo(call.p99, 2),
    };
  } finally {
    wokenAt.clear();
    await DBOS.shutdown();
  }
}

function expectWake(id: string): Promise<number> {
  return new Promise((resolveWake) => wokenAt.set(id, resolveWake));
}

async function startWaiters(waiter: () => Promise<void>, ids: string[]): Promise<WorkflowHandle<void>[]> {
  const handles: WorkflowHandle<void>[] = [];
  await measureEach(ids.length, START_CONCURRENCY, async (i) => {
    handles.push(await DBOS.startWorkflow(waiter, { workflowID: ids[i]! })());
  });
  return handles;
}

/**
 * recv records its durable timeout (a DBOS.sleep row) just before subscribing and waiting, so once
 * every waiter has that row they are all at, or a few microseconds from, the wait. DBOS offers no
 * public "is waiting" query, hence the look at its system table.
 */
async function untilAllParked(serverUrl: string, count: number): Promise<void> {
  const db = postgres(databaseUrl(serverUrl, DBOS_WAKE_DATABASE), { max: 1, onnotice: () => {} });
  try {
    const deadline = performance.now() + PARK_TIMEOUT_MS;
    while ((await parkedCount(db)) < count) {
      if (performance.now() > deadline) throw new Error(`not all ${count} DBOS waiters parked in time`);
      await sleep(50);
    }
  } finally {
    await db.end();
  }
  await sleep(SETTLE_MS);
}

async function parkedCount(db: postgres.Sql): Promise<number> {
  const rows = await db<{ n: number }[]>`
    SELECT count(*)::int AS n FROM dbos.operation_outputs WHERE function_name = 'DBOS.sleep'`;
  return rows[0]?.n ?? 0;
}

/**
 * One message at a time, each awaited to its wake, so no wake-up queues behind another. `latencies`:
 * from send's commit (send returned); `fromCall`: from the call to send, its own transaction included.
 */
async function sendOneByOne(
  ids: string[],
  wakes: Map<string, Promise<number>>,
): Promise<{ latencies: number[]; fromCall: number[] }> {
  const latencies: number[] = [];
  const fromCall: number[] = [];
  for (const id of ids) {
    const callMs = performance.now();
    await DBOS.send(id, 'wake', TOPIC);
    const sentMs = performance.now();
    const wokeMs = await wakes.get(id)!;
    latencies.push(wokeMs - sentMs);
    fromCall.push(wokeMs - callMs);
  }
  return { latencies, fromCall };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

async function main(): Promise<void> {
  const poolSize = process.env.BENCH_POOL_SIZE ? envInt('BENCH_POOL_SIZE', 10) : undefined;
  const figures = await runDbosWakeBench({
    serverUrl: benchServerUrl,
    count: envInt('BENCH_WAKE_COUNT', 1000),
    ...(poolSize === undefined ? {} : { poolSize }),
  });
  console.log(JSON.stringify(figures, null, 2));
}

if (isDirectRun(import.meta.filename)) {
  await main();
}
