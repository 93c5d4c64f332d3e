// Three `firebreak serve` processes on one PostgreSQL database tick the same every-second game day: each
// due time fires exactly once (one claim row, one drill incident, one run), and every due time between
// the schedule's registration and the last one handled is accounted for (fired, or skipped by the
// catch-up rule). The processes necessarily run for a few seconds of real time.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, test } from 'vitest';
import { onPostgres, testDatabase } from '../support/db.ts';
import { until } from '../support/until.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-gameday', import.meta.url));
const SCHEDULE = 'every-second:tick';
const RUN_FOR_MS = 5_000;

interface Replica {
  child: ChildProcess;
  ready: Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

function serve(databaseUrl: string, workerId: string): Replica {
  const child = spawn(process.execPath, ['bin/firebreak.js', 'serve'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      RUNBOOKS_DIR: RUNBOOKS,
      FIREBREAK_WORKER_ID: workerId,
      FIREBREAK_POLL_MS: '200',
      FIREBREAK_DB_POOL: '4',
      LOG_LEVEL: 'warn',
    },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (!out.includes('firebreak listening on')) return;
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`${workerId} exited before it listened:\n${out}`)));
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe.skipIf(!onPostgres)('game days across replicas', () => {
  test('three servers on one database fire each due time of an every-second game day exactly once', async () => {
    await using db = await testDatabase();
    const sql = postgres(db.databaseUrl!, { max: 2, onnotice: () => {} });
    const replicas = ['replica-1', 'replica-2', 'replica-3'].map((id) => serve(db.databaseUrl!, id));
    try {
      await Promise.all(replicas.map((r) => r.ready));
      const since = Date.now();
      await until(
        async () => {
          const [row] =
            await sql`select count(*)::int as n from gameday_fires where schedule_id = ${SCHEDULE}`;
          return Date.now() - since >= RUN_FOR_MS && (row?.n ?? 0) >= 4 ? true : null;
        },
        60_000,
        250,
      );
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
    try {
      const [schedule] =
        await sql`select created_at, handled_until from gameday_schedules where id = ${SCHEDULE}`;
      const fires = await sql`
        select due_at, outcome, fired_by, recorded_at, incident_id, run_id from gameday_fires
        where schedule_id = ${SCHEDULE} order by due_at`;
      const fired = fires.filter((f) => f.outcome === 'fired');

      // No due time claimed twice, and none opened a second drill or started a second run.
      const dueTimes = fires.map((f) => (f.due_at as Date).getTime());
      expect(new Set(dueTimes).size).toBe(dueTimes.length);
      const incidents = await sql`
        select group_key, count(*)::int as n from incidents where source = 'gameday' group by group_key`;
      expect(incidents.filter((i) => i.n !== 1)).toEqual([]);
      expect(incidents).toHaveLength(fired.length);
      const runs = await sql`
        select incident_id, count(*)::int as n from runs where idempotency_key like 'gameday:%' group by incident_id`;
      expect(runs.filter((r) => r.n !== 1)).toEqual([]);
      expect(runs).toHaveLength(fired.length);
      const [events] = await sql`select count(*)::int as n from events where type = 'gameday.fired'`;
      expect(events?.n).toBe(fired.length);
      const scorecards = await sql`
        select incident_id, count(*)::int as n from evidence where title like 'Game day scorecard:%'
        group by incident_id`;
      expect(scorecards.filter((s) => s.n !== 1)).toEqual([]);
      // Scorecards were written (a drill whose run ended has one), and only for fired drills.
      const firedIncidents = new Set(fired.map((f) => String(f.incident_id)));
      expect(scorecards.length).toBeGreaterThan(0);
      expect(scorecards.filter((s) => !firedIncidents.has(String(s.incident_id)))).toEqual([]);

      // No gaps: every whole second after registration, up to the last handled one, fired or was skipped.
      const from = Math.floor((schedule!.created_at as Date).getTime() / 1000) * 1000 + 1000;
      const to = (schedule!.handled_until as Date).getTime();
      const expected: number[] = [];
      for (let t = from; t <= to; t += 1000) expected.push(t);
      expect(dueTimes).toEqual(expected);
      // The catch-up rule skips a due time only when a tick came so late that a later one was due too: that
      // later one fired in the same transaction (well within the 5-minute grace).
      for (const skip of fires.filter((f) => f.outcome === 'skipped')) {
        const at = (skip.recorded_at as Date).getTime();
        const firedWith = fired.find(
          (f) => (f.recorded_at as Date).getTime() === at && (f.due_at as Date) > (skip.due_at as Date),
        );
        expect(firedWith, `skipped ${(skip.due_at as Date).toISOString()}`).toBeDefined();
      }
      expect(fired.length).toBeGreaterThanOrEqual(4);

      const perReplica = new Map<string, number>();
      for (const f of fired)
        perReplica.set(String(f.fired_by), (perReplica.get(String(f.fired_by)) ?? 0) + 1);
      // Every fire was claimed by one of the three replicas, and the counts add up.
      expect(
        [...perReplica.keys()].filter((id) => !['replica-1', 'replica-2', 'replica-3'].includes(id)),
      ).toEqual([]);
      expect([...perReplica.values()].reduce((a, b) => a + b, 0)).toBe(fired.length);
      const byReplica = [...perReplica].sort().map(([id, n]) => `${id}: ${n}`);
      console.info(
        `every-second game day: ${fired.length} fired, ${fires.length - fired.length} skipped (${byReplica.join(', ')})`,
      );
    } catch (err) {
      for (const r of replicas) console.error(r.output());
      throw err;
    } finally {
      await sql.end();
    }
  }, 120_000);
});
