// A database that restarts at the worst moment must delay runs, never fail them. Each test restarts a
// private PostgreSQL server (`pg_ctl stop -m fast`, then start) exactly when one kind of access happens:
// the kill-switch read before a mitigation, a heartbeat, the LISTEN connection. The moment is chosen by
// wrapping the engine's store, so the restart hits that access and nothing else first.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonLogger } from '../../src/core/logger.ts';
import { connect } from '../../src/db/driver.ts';
import { Engine } from '../../src/engine/engine.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import { runbook, z } from '../../src/index.ts';
import { loadRunbook, RunbookRegistry } from '../../src/runbooks/registry.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import type { Store } from '../../src/store/store.ts';
import { onPostgres } from '../support/db.ts';
import { deferred, untilAborted } from '../support/engine.ts';
import { PrivatePostgres } from '../support/private-postgres.ts';
import { until } from '../support/until.ts';

let pg: PrivatePostgres;

beforeAll(async () => {
  if (onPostgres) pg = await PrivatePostgres.create();
});
afterAll(async () => {
  await pg?.destroy();
});

/** The server goes down now and comes back `downMs` later (plus the time a start takes). */
async function restart(downMs: number): Promise<void> {
  await pg.stop('fast');
  setTimeout(() => void pg.start(), downMs);
}

/** `store` with one method replaced; everything else goes to the real store. */
function intercept<K extends keyof Store>(store: SqlStore, name: K, method: Store[K]): Store {
  return new Proxy(store, {
    get: (target, prop, receiver) =>
      prop === name
        ? method
        : (Reflect.get(target, prop, receiver)?.bind?.(target) ?? Reflect.get(target, prop)),
  }) as Store;
}

async function engineOn(
  rb: Parameters<typeof loadRunbook>[0],
  wrap: (store: SqlStore) => Store,
  config: ConstructorParameters<typeof Engine>[0]['config'] = {},
) {
  const logs: string[] = [];
  const logger = jsonLogger('info', {}, (l) => logs.push(l));
  const store = new SqlStore(await connect({ databaseUrl: pg.url, poolSize: 4, logger }));
  const engine = new Engine({
    store: wrap(store),
    registry: new RunbookRegistry([loadRunbook(rb)]),
    logger,
    config: { pollIntervalMs: 200, heartbeatMs: 1_000, leaseMs: 3_000, ...config },
  });
  await engine.work();
  return {
    engine,
    store,
    logs,
    async [Symbol.asyncDispose]() {
      await engine.stop({ graceMs: 0 });
      await store.close();
    },
  };
}

describe.skipIf(!onPostgres)('a database restart at the moment that matters', () => {
  test('the kill-switch read before a mitigation fails with the server down: the run waits, then succeeds', async () => {
    const applied: string[] = [];
    const rb = runbook({ id: 'blip-kill-switch', title: 'diagnose, then mitigate', input: z.object({}) })
      .diagnostic('look', async () => ({ ok: true }))
      .mitigation('act', {
        apply: async ({ idempotencyKey }) => {
          applied.push(idempotencyKey);
          return { done: true };
        },
        revert: async () => {},
      });
    let restarted = false;
    await using e = await engineOn(rb, (store) =>
      intercept(store, 'getSetting', async (key) => {
        if (!restarted) {
          restarted = true;
          await restart(300);
        }
        return store.getSetting(key);
      }),
    );
    const { runId } = await e.engine.start('blip-kill-switch', {});
    const run = await e.engine.result(runId, { timeoutMs: 30_000 });

    expect(restarted).toBe(true);
    expect(run.status).toBe('succeeded');
    expect(applied).toEqual([`${runId}:act`]);
    expect(e.logs.some((l) => l.includes('kill-switch read failed; retrying'))).toBe(true);
  });

  test('a heartbeat missed while the server restarts stops no run: the step goes on and runs once', async () => {
    const calls: string[] = [];
    const aborted: string[] = [];
    const gate = deferred();
    const rb = runbook({ id: 'blip-heartbeat', title: 'one long step', input: z.object({}) }).diagnostic(
      'long',
      async ({ run, signal }) => {
        calls.push(run.id);
        await Promise.race([
          gate.promise,
          untilAborted(signal).then((reason) => {
            aborted.push(run.id);
            throw reason;
          }),
        ]);
        return { ok: true };
      },
    );
    let armed = false;
    let missed: Promise<void> | null = null;
    await using e = await engineOn(
      rb,
      (store) =>
        intercept(store, 'heartbeat', async (...args) => {
          if (armed && !missed) {
            // This beat finds the server going down; the next ones are retried until it is back.
            missed = restart(2_500);
            await missed;
          }
          return store.heartbeat(...args);
        }),
      // The default ratio of lease to heartbeat (3:1), slower, so that a restart of about 3.5 s fits
      // inside the lease whatever the machine: the beat during the restart and the one after it fail.
      { leaseMs: 9_000, heartbeatMs: 3_000 },
    );
    const claims: string[] = [];
    e.engine.events.on('run.claimed', (c) => claims.push(c.runId));
    const { runId } = await e.engine.start('blip-heartbeat', {});
    await until(async () => (calls.length === 1 ? true : null));
    armed = true;
    await until(async () => (missed ? true : null), 5_000);
    await missed;
    // Back up, and a renewal went through after the outage: the run kept its lease all along.
    await until(async () => ((await pg.isRunning()) ? true : null), 15_000);
    const renewedAfter = Date.now();
    await until(async () => {
      const run = await e.store.getRun(runId).catch(() => null);
      return run?.leaseExpiresAt && run.leaseExpiresAt.getTime() > renewedAfter + 4_000 ? true : null;
    }, 15_000);
    gate.resolve();
    const run = await e.engine.result(runId, { timeoutMs: 30_000 });

    expect(run.status).toBe('succeeded');
    expect(aborted).toEqual([]);
    expect(calls).toEqual([runId]);
    expect(claims).toEqual([]);
    expect(e.logs.some((l) => l.includes('heartbeat failed; retrying'))).toBe(true);
    expect(e.logs.some((l) => l.includes('lease ran out'))).toBe(false);
  });

  test('LISTEN is set up again after a restart: a run queued by another process wakes the engine at once', async () => {
    const rb = runbook({ id: 'blip-listen', title: 'one step', input: z.object({}) }).diagnostic(
      'only',
      async () => ({ ok: true }),
    );
    // Polling once a minute: only a NOTIFY can make the engine claim within the test's wait.
    await using e = await engineOn(rb, (store) => store, { pollIntervalMs: 60_000 });
    await restart(1_000);
    await until(async () => ((await pg.isRunning()) ? true : null), 15_000);
    await until(async () => (e.logs.some((l) => l.includes('LISTEN restored')) ? true : null), 15_000);

    await using other = await createFirebreak({
      databaseUrl: pg.url,
      poolSize: 1,
      runbooks: [rb],
      work: false,
    });
    const claimed = e.engine.events.waitFor('run.claimed', () => true, 10_000);
    const { runId } = await other.start('blip-listen', {});
    expect(await claimed).toEqual({ runId, takeover: false });
    expect((await e.engine.result(runId, { timeoutMs: 10_000 })).status).toBe('succeeded');
  });
});
