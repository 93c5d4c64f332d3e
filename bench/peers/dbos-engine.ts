// DBOS Transact peer of our engine benchmark: the same three-no-op-step workflow, run on the same
// PostgreSQL server, so the two engines' figures are comparable within one run.
import { resolve } from 'node:path';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { benchServerUrl, envInt } from '../support/env.ts';
import { databaseUrl, recreateDatabase } from '../support/pg.ts';
import { measureEach, roundTo, summarize } from '../support/stats.ts';

export interface DbosEngineFigures {
  runsPerS: number;
  stepsPerS: number;
  p50: number;
  p95: number;
  p99: number;
  c1: { p50: number; p95: number; p99: number };
}

export interface DbosEngineBenchOptions {
  serverUrl: string;
  runs: number;
  concurrency: number;
  latencyRuns: number;
  /** DBOS system-database pool size; omitted means DBOS's own default (10). */
  poolSize?: number;
}

export interface DbosLaunchSpec {
  /** Server URL without a database, e.g. postgres://postgres@127.0.0.1:5432. */
  serverUrl: string;
  /** Dropped and recreated before launch, so every run starts from an empty system database. */
  database: string;
  poolSize?: number;
}

interface StepOutput {
  step: number;
  ok: boolean;
}

export const DBOS_ENGINE_DATABASE = 'firebreak_bench_dbos';
const STEPS_PER_WORKFLOW = 3;
const WARMUP_RUNS = 50;
const WARMUP_CONCURRENCY = 16;

// DBOS refuses registration after launch, so we register lazily, once per process, just before our
// first launch; importing this module therefore never interferes with another DBOS user.
let threeStepWorkflow: (() => Promise<StepOutput>) | undefined;

function registeredWorkflow(): () => Promise<StepOutput> {
  threeStepWorkflow ??= DBOS.registerWorkflow(threeNoOpSteps, { name: 'firebreakBenchThreeSteps' });
  return threeStepWorkflow;
}

async function threeNoOpSteps(): Promise<StepOutput> {
  let last: StepOutput = { step: 0, ok: true };
  for (let step = 1; step <= STEPS_PER_WORKFLOW; step++) {
    // Each runStep is checkpointed by DBOS; the body is a no-op so only engine overhead is timed.
    last = await DBOS.runStep(async () => ({ step, ok: true }), { name: `step${step}` });
  }
  return last;
}

export async function runDbosEngineBench(opts: DbosEngineBenchOptions): Promise<DbosEngineFigures> {
  const workflow = registeredWorkflow();
  await launchDbos({ serverUrl: opts.serverUrl, database: DBOS_ENGINE_DATABASE, ...poolSizeOf(opts) });
  try {
    await measureEach(WARMUP_RUNS, WARMUP_CONCURRENCY, () => runOnce(workflow));
    const loaded = await measureEach(opts.runs, opts.concurrency, () => runOnce(workflow));
    const serial = await measureEach(opts.latencyRuns, 1, () => runOnce(workflow));
    return toFigures(opts.runs, loaded.wallMs, loaded.latencies, serial.latencies);
  } finally {
    await DBOS.shutdown();
  }
}

/** Start to result, as a caller of DBOS sees it: durable start, three checkpointed steps, completion. */
async function runOnce(workflow: () => Promise<StepOutput>): Promise<void> {
  const handle = await DBOS.startWorkflow(workflow)();
  const result = await handle.getResult();
  // A cheap guard that we are timing the real workflow, not a short-circuited one.
  if (result.step !== STEPS_PER_WORKFLOW || !result.ok) {
    throw new Error(`unexpected workflow result ${JSON.stringify(result)}`);
  }
}

function toFigures(runs: number, wallMs: number, loaded: number[], serial: number[]): DbosEngineFigures {
  const runsPerS = runs / (wallMs / 1000);
  const underLoad = summarize(loaded);
  const oneAtATime = summarize(serial);
  return {
    runsPerS: roundTo(runsPerS, 1),
    stepsPerS: roundTo(runsPerS * STEPS_PER_WORKFLOW, 1),
    p50: roundTo(underLoad.p50, 2),
    p95: roundTo(underLoad.p95, 2),
    p99: roundTo(underLoad.p99, 2),
    c1: { p50: roundTo(oneAtATime.p50, 2), p95: roundTo(oneAtATime.p95, 2), p99: roundTo(oneAtATime.p99, 2) },
  };
}

/** Recreates the database and launches DBOS on it; shared with the wake-up peer. */
export async function launchDbos(spec: DbosLaunchSpec): Promise<void> {
  await recreateDatabase(spec.serverUrl, spec.database);
  DBOS.setConfig({
    name: 'firebreak-bench',
    systemDatabaseUrl: databaseUrl(spec.serverUrl, spec.database),
    // DBOS logs every launch step at info; the benchmark output should be figures only.
    logLevel: 'warn',
    ...(spec.poolSize === undefined ? {} : { systemDatabasePoolSize: spec.poolSize }),
  });
  await DBOS.launch();
}

function poolSizeOf(opts: { poolSize?: number }): { poolSize?: number } {
  return opts.poolSize === undefined ? {} : { poolSize: opts.poolSize };
}

export function isDirectRun(moduleFilename: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === moduleFilename;
}

async function main(): Promise<void> {
  const poolSize = process.env.BENCH_POOL_SIZE ? envInt('BENCH_POOL_SIZE', 10) : undefined;
  const figures = await runDbosEngineBench({
    serverUrl: benchServerUrl,
    runs: envInt('BENCH_RUNS', 4000),
    concurrency: envInt('BENCH_CONCURRENCY', 64),
    latencyRuns: envInt('BENCH_LATENCY_RUNS', 300),
    ...(poolSize === undefined ? {} : { poolSize }),
  });
  console.log(JSON.stringify(figures, null, 2));
}

if (isDirectRun(import.meta.filename)) {
  await main();
}
