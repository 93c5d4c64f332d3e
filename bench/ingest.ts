// npm run bench:ingest — Alertmanager webhooks into a running `firebreak serve` on PostgreSQL.
// The server runs as a child process (`node bin/firebreak.js serve`), the load tool as another
// (bench/support/ingest-load.ts), over loopback. Workload: BENCH_INGEST_GROUPS distinct alert groups of
// BENCH_INGEST_ALERTS alerts each, every group posted BENCH_INGEST_REPEATS times in a seeded shuffled
// order (so repeats of one group sometimes race each other), after a warm-up of 200 other groups; the
// runbook in bench/runbooks-ingest/ runs once per incident while the load goes on. Afterwards the database
// must hold exactly one incident and one run per group and a notification per answered request.
// Besides alerts/s and latency it prints where the time went: CPU and run-queue time of the server, its
// PostgreSQL backends and the load tool, the machine's other load, and what the backends were doing.
// RESULT adds the CPU cost per alert (server_cpu_ms_per_alert, pg_cpu_ms_per_alert: CPU time of the
// server process and of its backends during the load, over the alerts posted; less noisy than alerts/s
// on a shared machine) and first_step_p50_ms / first_step_p99_ms: for each delivery that started a run,
// from the load tool sending it to the run's first step starting in the server (see firstStepLatency).
// Env: BENCH_PG_URL (server, no database), BENCH_INGEST_GROUPS (5000), BENCH_INGEST_REPEATS (3),
// BENCH_INGEST_ALERTS (10), BENCH_INGEST_CONNECTIONS (32), BENCH_INGEST_DB_POOL (server pool, 10).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { alertmanagerBody, shuffled } from './support/alertmanager-bodies.ts';
import { benchServerUrl, envInt } from './support/env.ts';
import {
  checkIngest,
  firstStepStarts,
  type IngestCheck,
  ingestFunctionTime,
} from './support/ingest-check.ts';
import type { LoadReport } from './support/ingest-load.ts';
import { backendPids, databaseUrl, recreateDatabase } from './support/pg.ts';
import { sampleWaits } from './support/pg-waits.ts';
import {
  cpuPressureS,
  machineBusyS,
  minus,
  type SchedTime,
  schedOf,
  schedOfAll,
} from './support/proc-cpu.ts';
import { startServeChild } from './support/serve-child.ts';
import { type LatencySummary, roundTo, summarize } from './support/stats.ts';

const serverUrl = benchServerUrl;
const groups = envInt('BENCH_INGEST_GROUPS', 5000);
const repeats = envInt('BENCH_INGEST_REPEATS', 3);
const alertsPerBody = envInt('BENCH_INGEST_ALERTS', 10);
const connections = envInt('BENCH_INGEST_CONNECTIONS', 32);
const dbPool = envInt('BENCH_INGEST_DB_POOL', 10);
const WARMUP_GROUPS = 200;
const DATABASE = 'firebreak_bench_ingest';
const TOKEN = 'bench-ingest-token';
const TARGET = { alertsPerS: 10_000, p99Ms: 50 };
const repo = fileURLToPath(new URL('..', import.meta.url));
const cores = availableParallelism();
const requests = groups * repeats;

function runLoad(url: string, file: string): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/ingest-load.ts'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        LOAD_URL: `${url}/webhooks/alertmanager`,
        LOAD_TOKEN: TOKEN,
        LOAD_FILE: file,
        LOAD_CONNECTIONS: String(connections),
      },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadReport) : reject(new Error(`load tool exited ${code}`)),
    );
  });
}

/** Bodies in posting order: every group `times` times, shuffled with a fixed seed. */
async function bodiesFile(dir: string, prefix: string, count: number, times: number): Promise<string> {
  const startsAt = new Date().toISOString();
  const bodies = Array.from({ length: count }, (_, g) =>
    alertmanagerBody(prefix, g, alertsPerBody, startsAt),
  );
  const order = shuffled(
    Array.from({ length: count * times }, (_, i) => i % count),
    42,
  );
  const file = join(dir, `${prefix}.jsonl`);
  await writeFile(file, `${order.map((g) => bodies[g]).join('\n')}\n`);
  return file;
}

interface FirstStep extends LatencySummary {
  /** Runs started by a delivery of the measured load. */
  runs: number;
  /** Of them, runs whose first step left no start time (it did not succeed). */
  missing: number;
}

/**
 * Webhook received → first step started, for every delivery whose answer named runs it started (the
 * first of a group to commit; its repeats start nothing). Both ends read CLOCK_MONOTONIC through
 * process.hrtime: the load tool just before it writes the request to the loopback socket, the runbook's
 * step (bench/runbooks-ingest) as its function begins, after the run's claim and the step.started
 * marker. One clock for both processes, read at microsecond resolution, so the figure is good to well
 * under a millisecond; the database's timestamps (millisecond Dates from the server's clock, taken only
 * after the body is parsed) would be neither as fine nor start at the request's arrival.
 */
async function firstStepLatency(sql: postgres.Sql, load: LoadReport): Promise<FirstStep | null> {
  const sent = new Map(load.runStarts.flatMap((d) => d.runIds.map((id) => [id, d.sentMonoMs] as const)));
  if (sent.size === 0) return null;
  const started = await firstStepStarts(sql, [...sent.keys()]);
  const latencies = [...started].map(([id, at]) => at - sent.get(id)!);
  if (latencies.length === 0) return null;
  return { ...summarize(latencies), runs: sent.size, missing: sent.size - started.size };
}

/** Waits (up to two minutes) until every run the alerts started has finished; returns the seconds. */
async function drainRuns(sql: postgres.Sql): Promise<{ check: IngestCheck; seconds: number }> {
  const started = performance.now();
  let check = await checkIngest(sql, 'bench:');
  while (check.runsFinished < check.runs && performance.now() - started < 120_000) {
    await new Promise((r) => setTimeout(r, 200));
    check = await checkIngest(sql, 'bench:');
  }
  return { check, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  await recreateDatabase(serverUrl, DATABASE);
  const dbUrl = databaseUrl(serverUrl, DATABASE);
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const sampler = postgres(dbUrl, { max: 1, onnotice: () => {} });
  // Per-function timings (pg_stat_user_functions) show how much of a request the ingest SQL takes.
  await sql.unsafe(`ALTER DATABASE ${DATABASE} SET track_functions = 'pl'`);
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-bench-ingest-'));
  const server = await startServeChild({
    DATABASE_URL: dbUrl,
    RUNBOOKS_DIR: join(repo, 'bench/runbooks-ingest'),
    ALERTMANAGER_TOKEN: TOKEN,
    FIREBREAK_DB_POOL: String(dbPool),
    LOG_LEVEL: 'warn',
  });
  try {
    const warmup = await runLoad(server.url, await bodiesFile(dir, 'warmup', WARMUP_GROUPS, 1));
    if (warmup.failures.length > 0) throw new Error(`warm-up failed: ${warmup.failures.join('; ')}`);
    const file = await bodiesFile(dir, 'bench', groups, repeats);
    const fn0 = await ingestFunctionTime(sql, WARMUP_GROUPS);

    const pgPids = await backendPids(sql, DATABASE);
    const before = {
      server: schedOf(server.child.pid!),
      pg: schedOfAll(pgPids),
      machine: machineBusyS(),
      pressure: cpuPressureS(),
    };
    const windowStart = performance.now();
    const stopSampling = sampleWaits(sampler, DATABASE);
    const load = await runLoad(server.url, file);
    const waits = await stopSampling();
    const pgPidsAfter = await backendPids(sql, DATABASE);
    const cpu = {
      server: minus(schedOf(server.child.pid!), before.server),
      // Backends opened during the load count from their start.
      pg: minus(schedOfAll([...new Set([...pgPids, ...pgPidsAfter])]), before.pg),
      load: load.sched,
      machine: machineBusyS() - before.machine,
      pressure: before.pressure === null ? null : (cpuPressureS() ?? 0) - before.pressure,
      // The CPU figures cover the load tool's start and exit too, so they are set against this window.
      windowS: (performance.now() - windowStart) / 1000,
    };

    // The runs the alerts started keep going after the last answer.
    const { check, seconds: drainS } = await drainRuns(sql);
    const firstStep = await firstStepLatency(sql, load);
    const fn1 = await ingestFunctionTime(sql, fn0.calls + requests);
    report(
      load,
      cpu,
      waits.average,
      waits.samples,
      check,
      drainS,
      fn1.calls - fn0.calls,
      fn1.totalMs - fn0.totalMs,
      firstStep,
    );
  } finally {
    await sql.end({ timeout: 5 });
    await sampler.end({ timeout: 5 });
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function report(
  load: LoadReport,
  cpu: {
    server: SchedTime;
    pg: SchedTime;
    load: SchedTime;
    machine: number;
    pressure: number | null;
    windowS: number;
  },
  waits: Record<string, number>,
  samples: number,
  check: IngestCheck,
  drainS: number,
  fnCalls: number,
  fnMs: number,
  firstStep: FirstStep | null,
): void {
  const ok = Object.entries(load.statuses)
    .filter(([s]) => s.startsWith('2'))
    .reduce((n, [, c]) => n + c, 0);
  const wallS = load.wallMs / 1000;
  const alertsPerS = Math.round((requests / wallS) * alertsPerBody);
  const lat = summarize(load.latencies);
  // Lost: a request not answered 2xx, a group without its incident and run, a 2xx without its notification.
  const lost = requests - ok + (groups - check.groupsWithRun) + Math.max(0, ok - check.notifications);
  const duplicated = check.incidents - check.groupsWithIncident + (check.runs - check.incidentsWithRun);
  const share = (t: SchedTime) =>
    `${roundTo(t.cpuS, 1)} s on CPU + ${roundTo(t.waitS, 1)} s waiting for one ` +
    `(${Math.round((t.cpuS / cpu.windowS) * 100)}% of a core)`;
  const perRequest = (t: SchedTime) => `${roundTo((t.cpuS / requests) * 1000, 2)} ms`;
  const perAlert = (t: SchedTime) => roundTo((t.cpuS / (requests * alertsPerBody)) * 1000, 4);
  const ours = cpu.server.cpuS + cpu.pg.cpuS + cpu.load.cpuS;

  console.log(
    `ingest  ${requests} requests (${groups} groups x ${repeats}, ${alertsPerBody} alerts each), ` +
      `${connections} connections: ${roundTo(wallS, 2)} s, ${Math.round(requests / wallS)} req/s, ` +
      `${alertsPerS} alerts/s`,
  );
  console.log(
    `ingest  latency p50 ${roundTo(lat.p50, 2)} ms  p95 ${roundTo(lat.p95, 2)} ms  ` +
      `p99 ${roundTo(lat.p99, 2)} ms  mean ${roundTo(lat.mean, 2)} ms; statuses ${JSON.stringify(load.statuses)}`,
  );
  console.log(
    `ingest  CPU during the load (${roundTo(cpu.windowS, 1)} s, ${cores} cores): server ${share(cpu.server)}; ` +
      `its postgres backends ${share(cpu.pg)}; load tool ${share(cpu.load)}`,
  );
  console.log(
    `ingest  CPU per request: server ${perRequest(cpu.server)}, postgres ${perRequest(cpu.pg)}, ` +
      `load tool ${perRequest(cpu.load)}; machine busy ${roundTo(cpu.machine, 1)} of ` +
      `${roundTo(cpu.windowS * cores, 1)} CPU-s, ${roundTo(Math.max(0, cpu.machine - ours), 1)} of them other processes` +
      (cpu.pressure === null
        ? ''
        : `; some task waited for a CPU ${Math.round((cpu.pressure / cpu.windowS) * 100)}% of the time`),
  );
  console.log(
    `ingest  firebreak_ingest() inside PostgreSQL: ${fnCalls} calls, mean ${roundTo(fnMs / Math.max(1, fnCalls), 2)} ms`,
  );
  const sessions = Object.entries(waits)
    .filter(([, n]) => n >= 0.05)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(`ingest  PostgreSQL sessions busy, average of ${samples} samples: ${sessions}`);
  console.log(
    `ingest  check: ${check.incidents} incidents for ${check.groupsWithIncident}/${groups} groups, ` +
      `${check.runs} runs (${check.runsSucceeded} succeeded; all finished ${roundTo(drainS, 1)} s after ` +
      `the last answer), ${check.notifications}/${ok} notifications recorded`,
  );
  if (firstStep)
    console.log(
      `ingest  webhook sent → first step started, ${firstStep.runs} runs started by the load: ` +
        `p50 ${roundTo(firstStep.p50, 2)} ms  p95 ${roundTo(firstStep.p95, 2)} ms  ` +
        `p99 ${roundTo(firstStep.p99, 2)} ms  mean ${roundTo(firstStep.mean, 2)} ms` +
        (firstStep.missing > 0 ? `; ${firstStep.missing} runs without a started first step` : ''),
    );
  else console.log('ingest  webhook sent → first step started: no delivery of the load started a run');
  for (const f of load.failures) console.log(`ingest  failure: ${f}`);
  if (lost > 0 || duplicated > 0) process.exitCode = 1;
  const misses = [
    alertsPerS < TARGET.alertsPerS ? `alerts/s below ${TARGET.alertsPerS}` : null,
    lat.p99 > TARGET.p99Ms ? `p99 above ${TARGET.p99Ms} ms` : null,
  ].filter(Boolean);
  if (misses.length > 0) console.log(`ingest  target missed: ${misses.join(', ')}`);
  console.log(
    `RESULT bench:ingest alerts_per_s=${alertsPerS} p99_ms=${roundTo(lat.p99, 2)} lost=${lost} ` +
      `duplicated=${duplicated} server_cpu_ms_per_alert=${perAlert(cpu.server)} ` +
      `pg_cpu_ms_per_alert=${perAlert(cpu.pg)} ` +
      `first_step_p50_ms=${firstStep ? roundTo(firstStep.p50, 2) : 'none'} ` +
      `first_step_p99_ms=${firstStep ? roundTo(firstStep.p99, 2) : 'none'}`,
  );
}

await main();
