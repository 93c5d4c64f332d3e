// One chaos run (`npm run bench:chaos`, and a smaller one in test/engine/chaos.test.ts): 2 serve and 3
// worker processes on a private PostgreSQL server, each behind a TCP proxy of its own; runs, approvals
// and webhooks as load; and faults all through it: a process SIGKILLed (and restarted) every 2–3 s (a
// random one, and every second time the worker holding the most runs), one `pg_ctl restart -m fast`,
// one 10 s cut of all of one worker's connections, one SIGKILL of a serve. Then it lets the fleet drain, stops it with SIGTERM and judges (verdict.ts).
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { connect } from '../../../src/db/driver.ts';
import { createChaosEffectsSql } from '../../fixtures/runbooks-chaos/chaos.ts';
import { PrivatePostgres } from '../private-postgres.ts';
import { Fleet, type Member } from './fleet.ts';
import { apiTokens, sendAlerts, startApprover, startRuns, TOKENS } from './load.ts';
import { judge, type Verdict } from './verdict.ts';

const RUNBOOKS = fileURLToPath(new URL('../../fixtures/runbooks-chaos', import.meta.url));

export interface ChaosOptions {
  runs: number;
  alerts: number;
  /** How long the load goes on; the faults are spread over it. */
  loadMs: number;
  /** A database (on a server the chaos leaves alone) for the side-effects table; emptied first. */
  effectsUrl: string;
  /** How long the fleet may take to drain after the last fault. */
  drainTimeoutMs: number;
  seed?: number;
  /** Extra environment for every process (a fix's setting, say). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Fault {
  /** Seconds after the load started. */
  at: number;
  what: string;
}

export interface ChaosResult extends Verdict {
  drainS: number | null;
  /** Runs the SIGKILLed workers held when they were killed, summed over the kills. */
  killedHolding: number;
  faults: Fault[];
  neverReady: string[];
  crashes: Fleet['crashes'];
  runsResent: number;
  decisions: number;
  alertsAcknowledged: number;
  alertsResent: number;
  shutdownS: number;
  logDir: string;
  failedRunLogLines: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? (() => {});
  const random = seeded(opts.seed ?? 13);
  const logDir = await mkdtemp(join(tmpdir(), 'firebreak-chaos-'));
  await using pg = await PrivatePostgres.create();
  // Migrated once up front, so the processes' own start-up migrations find nothing to do.
  await (await connect({ databaseUrl: pg.url, poolSize: 1 })).close();
  const effects = postgres(opts.effectsUrl, { max: 2, onnotice: () => {} });
  const db = postgres(pg.url, { max: 2, onnotice: () => {} });
  try {
    await effects.unsafe(createChaosEffectsSql);
    await effects`truncate chaos_effects`;
    const fleet = await Fleet.start({
      databaseUrl: pg.url,
      serves: 2,
      workers: 3,
      logDir,
      env: {
        RUNBOOKS_DIR: RUNBOOKS,
        CHAOS_EFFECTS_URL: opts.effectsUrl,
        API_TOKENS: apiTokens,
        ALERTMANAGER_TOKEN: TOKENS.alertmanager,
        GENERIC_TOKEN: TOKENS.generic,
        GRAFANA_TOKEN: TOKENS.grafana,
        LOG_LEVEL: 'info',
        FIREBREAK_MIGRATE: 'false',
        ...opts.env,
      },
      // The serves only take requests: every run is held by a worker, the processes the chaos kills.
      serveEnv: { FIREBREAK_WORK: 'false' },
    });
    log(`fleet up: ${fleet.members.map((m) => m.current!.workerId).join(', ')}; logs in ${logDir}`);

    const t0 = Date.now();
    const since = () => Math.round((Date.now() - t0) / 100) / 10;
    const faults: Fault[] = [];
    let lastFaultEnd = t0;
    const fault = (what: string) => {
      faults.push({ at: since(), what });
      log(`${since().toFixed(1)} s  ${what}`);
    };
    const held = async (workerId: string) => {
      const [row] = await db<{ n: number }[]>`select count(*)::int n from runs
        where lease_owner = ${workerId} and status in ('running', 'compensating')`.catch(() => [{ n: -1 }]);
      return row!.n;
    };
    let killedHolding = 0;
    const kill = async (m: Member, why: string) => {
      const id = m.current?.workerId ?? '?';
      const n = m.role === 'worker' ? await held(id) : 0;
      killedHolding += Math.max(0, n);
      const holding = m.role === 'worker' ? `, holding ${n} runs` : '';
      await fleet.kill(m);
      lastFaultEnd = Date.now();
      fault(`${why}: SIGKILL ${id}${holding}; restarted`);
    };

    const deadline = t0 + opts.loadMs + opts.drainTimeoutMs;
    const created = new Map<number, string>();
    const runsDone = startRuns(fleet, opts.runs, opts.loadMs, deadline, created);
    const alertsDone = sendAlerts(fleet, opts.alerts, opts.loadMs, deadline);
    const approver = startApprover(fleet, created);

    const scheduled = async () => {
      const at = (fraction: number) => sleep(t0 + opts.loadMs * fraction - Date.now());
      await at(0.3);
      const stopAt = Date.now();
      await pg.stop('fast');
      const downAt = Date.now();
      await pg.start();
      lastFaultEnd = Date.now();
      fault(
        `pg_ctl restart -m fast: down after ${((downAt - stopAt) / 1000).toFixed(1)} s, ` +
          `up again ${((Date.now() - downAt) / 1000).toFixed(1)} s later`,
      );
      await at(0.5);
      const cut = fleet.workers[Math.floor(random() * fleet.workers.length)]!;
      const cutId = cut.current?.workerId ?? '?';
      const holding = await held(cutId);
      cut.proxy.partition();
      fault(`cut every connection of ${cutId} (holding ${holding} runs) for 10 s`);
      await sleep(10_000);
      cut.proxy.restore();
      lastFaultEnd = Date.now();
      fault(`connections of ${cutId} restored (the old ones reset)`);
      await at(0.75);
      await kill(fleet.serves[Math.floor(random() * fleet.serves.length)]!, 'serve kill');
    };
    // Every 2-3 s a process dies: a random one, and every second time the worker holding the most runs
    // (a worker just restarted holds none yet, and killing it tests little).
    const busiestWorker = async () => {
      let best: { m: Member; n: number } | null = null;
      for (const m of fleet.workers) {
        const n = await held(m.current?.workerId ?? '?');
        if (!best || n > best.n) best = { m, n };
      }
      return best && best.n > 0 ? best.m : null;
    };
    const randomKills = async () => {
      for (let i = 0; ; i++) {
        await sleep(2_000 + random() * 1_000);
        if (Date.now() - t0 >= opts.loadMs) return;
        const busiest = i % 2 === 1 ? await busiestWorker() : null;
        if (busiest) await kill(busiest, 'kill of the busiest worker');
        else await kill(fleet.members[Math.floor(random() * fleet.members.length)]!, 'random kill');
      }
    };
    await Promise.all([scheduled(), randomKills()]);
    const [runsResent, deliveries] = await Promise.all([runsDone, alertsDone]);
    log(`load done at ${since()} s: ${created.size}/${opts.runs} runs confirmed`);

    // Drain: every run of the load (and of the alerts) reaches an end, within the bound.
    let drainS: number | null = null;
    while (Date.now() < lastFaultEnd + opts.drainTimeoutMs) {
      const [row] = await db<{ open: number; chaos: number }[]>`
        select count(*) filter (where status not in ('succeeded','failed','cancelled','compensated','revert_failed'))::int open,
               count(*) filter (where runbook_id = 'chaos')::int chaos from runs`;
      if (row!.open === 0 && row!.chaos >= created.size) {
        drainS = Math.max(0, (Date.now() - lastFaultEnd) / 1000);
        break;
      }
      await sleep(250);
    }
    log(drainS === null ? 'did NOT drain in time' : `drained ${drainS.toFixed(1)} s after the last fault`);
    await approver.stop();
    const shutdownMs = await fleet.stop(60_000);

    const verdict = await judge(db, effects, opts.runs, deliveries);
    return {
      ...verdict,
      drainS: drainS === null ? null : Math.round(drainS * 10) / 10,
      killedHolding,
      faults,
      neverReady: fleet.neverReady,
      crashes: fleet.crashes,
      runsResent,
      decisions: approver.decisions,
      alertsAcknowledged: deliveries.filter((d) => d.acknowledgedAt !== null).length,
      alertsResent: deliveries.reduce((n, d) => n + d.attempts - 1, 0),
      shutdownS: Math.round(shutdownMs / 100) / 10,
      logDir,
      failedRunLogLines: await failedRunLines(logDir),
    };
  } finally {
    await effects.end();
    await db.end();
  }
}

/** The log lines in which a run ended failed, as an operator would grep for them. */
async function failedRunLines(logDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await readdir(logDir)) {
    for (const line of (await readFile(join(logDir, f), 'utf8')).split('\n')) {
      if (line.includes('"run finished"') && line.includes('"status":"failed"')) out.push(line);
    }
  }
  return out;
}

/** The RESULT line of `npm run bench:chaos`. */
export function resultLine(r: ChaosResult): string {
  return (
    `RESULT bench:chaos runs=${r.runs} terminal_pct=${r.terminalPct} stuck=${r.stuck} ` +
    `rerun_committed=${r.rerunCommitted} unreverted=${r.unreverted} lost_alerts=${r.lostAlerts} ` +
    `duplicate_incidents=${r.duplicateIncidents} duplicate_journal_rows=${r.duplicateJournalRows} ` +
    `wrong_outcome=${r.wrongOutcome} rerun_inflight=${r.rerunInflight} drain_s=${r.drainS ?? 'none'}`
  );
}
