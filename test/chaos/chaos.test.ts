// bench:chaos, smaller, in CI (PostgreSQL pass only): 2 serve + 3 worker processes on a private server
// behind TCP proxies, 200 gated runs and 100 webhook deliveries over 20 s, while a random process is
// SIGKILLed every 2–3 s, the server restarts, a worker is cut off for 10 s and a serve is killed. Every
// run must end as its input decides, nothing committed may run again, nothing acknowledged be lost.
import { expect, test } from 'vitest';
import { type ChaosResult, resultLine, runChaos } from '../support/chaos/chaos.ts';
import { onPostgres, testDatabase } from '../support/db.ts';

test.skipIf(!onPostgres)(
  'every fault at once: all runs end as their input decides, nothing committed runs twice, nothing is lost',
  async () => {
    await using effects = await testDatabase();
    const lines: string[] = [];
    let r: ChaosResult;
    try {
      r = await runChaos({
        runs: 200,
        alerts: 100,
        loadMs: 20_000,
        effectsUrl: effects.databaseUrl!,
        drainTimeoutMs: 60_000,
        log: (l) => lines.push(l),
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${lines.join('\n')}`);
    }
    const report = `${resultLine(r)}\n${lines.join('\n')}`;
    // Each fault happened: the restart, the cut and its end, the serve kill, kills every 2-3 s.
    expect(r.faults.map((f) => f.what).join('\n'), report).toMatch(
      /pg_ctl restart[\s\S]*cut every connection[\s\S]*restored[\s\S]*serve kill/,
    );
    expect(r.faults.filter((f) => f.what.includes(': SIGKILL')).length, report).toBeGreaterThanOrEqual(5);
    expect(r.killedHolding, report).toBeGreaterThan(0);
    expect(r, report).toMatchObject({
      runs: 200,
      terminalPct: 100,
      stuck: 0,
      rerunCommitted: 0,
      unreverted: 0,
      lostAlerts: 0,
      duplicateIncidents: 0,
      duplicateJournalRows: 0,
      wrongOutcome: 0,
      unexplainedFailures: 0,
      alertsAcknowledged: 100,
      alertRuns: 100,
      neverReady: [],
      crashes: [],
    });
    expect(r.drainS, report).not.toBeNull();
  },
  240_000,
);
