// `firebreak serve` and `firebreak worker` as an orchestrator sees them: started while the database is
// still down, they wait for it (and give up with exit 1 after FIREBREAK_DB_STARTUP_TIMEOUT instead of
// idling); sent SIGTERM, /readyz answers 503 at once and the process exits within the shutdown grace
// plus a few seconds, leases released, even when a runbook ignores its abort signal and keeps a timer
// (or a connection) open.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createFirebreak } from '../../src/firebreak.ts';
import { runbook, z } from '../../src/index.ts';
import { startCli } from '../support/cli-process.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { freePort, PrivatePostgres } from '../support/private-postgres.ts';
import { until } from '../support/until.ts';

const RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks-shutdown', import.meta.url));
// The runbook's step never ends and its module keeps a timer alive: without the bounded grace and the
// CLI's exit the processes below would never exit, and the tests would time out.
const GRACE_MS = 1_500;

/** The same runbook id as the fixture, for creating its runs from this process (never executed here). */
const stubbornHere = runbook({ id: 'stubborn', title: 'Never lets go', input: z.object({}) }).diagnostic(
  'hold',
  async () => ({ never: true }),
);

describe.skipIf(!onPostgres)('stopping: readiness, grace, released leases', () => {
  test('serve: SIGTERM turns /readyz to 503 at once and exits within the grace, leases released', async () => {
    await using db = await testDatabase();
    const p = startCli(['serve'], {
      DATABASE_URL: db.databaseUrl,
      RUNBOOKS_DIR: RUNBOOKS,
      PORT: '0',
      HOST: '127.0.0.1',
      FIREBREAK_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const [, url] = await p.waitFor(/firebreak listening on (http:\/\/\S+)/);
    const started = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ runbook: 'stubborn', input: {} }),
    });
    expect(started.status).toBe(201);
    const { runId } = (await started.json()) as { runId: string };
    await using fb = await createFirebreak({
      databaseUrl: db.databaseUrl,
      runbooks: [stubbornHere],
      work: false,
    });
    await until(async () => ((await fb.store.getRun(runId))?.leaseOwner ? true : null));

    p.kill('SIGTERM');
    await p.waitFor(/SIGTERM: \/readyz answers 503/);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { code: 'shutting_down' } });

    expect((await p.exited).code).toBe(0);
    expect(await fb.store.getRun(runId)).toMatchObject({ status: 'running', leaseOwner: null });
  });

  test('worker: /healthz and /readyz on its metrics port; after SIGTERM 503, exit within the grace', async () => {
    await using db = await testDatabase();
    await using fb = await createFirebreak({
      databaseUrl: db.databaseUrl,
      runbooks: [stubbornHere],
      work: false,
    });
    const { runId } = await fb.start('stubborn', {});
    const p = startCli(['worker'], {
      DATABASE_URL: db.databaseUrl,
      RUNBOOKS_DIR: RUNBOOKS,
      HOST: '127.0.0.1',
      FIREBREAK_METRICS_PORT: '0',
      FIREBREAK_WORKER_ID: 'stubborn-worker',
      FIREBREAK_POLL_MS: '200',
      FIREBREAK_SHUTDOWN_GRACE_MS: String(GRACE_MS),
    });
    const [, base] = await p.waitFor(/metrics on (http:\/\/\S+)\/metrics/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({
      ok: true,
      worker: 'stubborn-worker',
    });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    await until(async () => ((await fb.store.getRun(runId))?.leaseOwner === 'stubborn-worker' ? true : null));

    p.kill('SIGTERM');
    await p.waitFor(/SIGTERM: \/readyz answers 503/);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { code: 'shutting_down' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    expect((await p.exited).code).toBe(0);
    expect(await fb.store.getRun(runId)).toMatchObject({ status: 'running', leaseOwner: null });
  });
});

describe.skipIf(!onPostgres)('starting while the database is down', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => {
    pg = await PrivatePostgres.create();
    await pg.stop('fast');
  });
  afterAll(async () => {
    await pg?.destroy();
  });

  test('a worker waits for the server, then works; one that waits too long exits 1', async () => {
    const waiting = startCli(['worker'], { DATABASE_URL: pg.url, RUNBOOKS_DIR: RUNBOOKS });
    await waiting.waitFor(/migrating the database failed; retrying/);
    await pg.start();
    await waiting.waitFor(/firebreak worker /);
    waiting.kill('SIGTERM');
    expect((await waiting.exited).code).toBe(0);

    await pg.stop('fast');
    const giving = startCli(['worker'], {
      DATABASE_URL: pg.url,
      RUNBOOKS_DIR: RUNBOOKS,
      FIREBREAK_DB_STARTUP_TIMEOUT: '2s',
    });
    expect((await giving.exited).code).toBe(1);
    expect(giving.output()).toMatch(/the database could not be reached within 2 s/);
  });

  test('a SIGTERM while the worker waits for its database is kept: it starts, then stops with 0', async () => {
    await pg.stop('fast');
    const p = startCli(['worker'], { DATABASE_URL: pg.url, RUNBOOKS_DIR: RUNBOOKS });
    await p.waitFor(/migrating the database failed; retrying/);
    p.kill('SIGTERM');
    await pg.start();
    const ended = await p.exited;
    // Node's default for SIGTERM would end it by the signal (code null) in the middle of its start.
    expect(ended).toMatchObject({ code: 0, signal: null });
    expect(p.output()).toMatch(/SIGTERM: \/readyz answers 503/);
  });

  test('a worker whose LISTEN connection cannot be set up exits 1 instead of idling', async () => {
    await pg.start();
    const nowhere = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const p = startCli(['worker'], {
      DATABASE_URL: pg.url,
      FIREBREAK_LISTEN_URL: nowhere,
      FIREBREAK_MIGRATE: 'false',
      RUNBOOKS_DIR: RUNBOOKS,
      FIREBREAK_DB_STARTUP_TIMEOUT: '2s',
    });
    expect((await p.exited).code).toBe(1);
    expect(p.output()).toMatch(
      /the LISTEN connection \(FIREBREAK_LISTEN_URL\) could not be reached within 2 s/,
    );
  });
});
