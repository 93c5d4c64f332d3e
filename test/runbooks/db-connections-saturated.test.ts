import { inputFromAlert, type StubRoute, stubHttp, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { dbConnectionsSaturated } from '../../runbooks/db-connections-saturated.ts';
import { vector } from './fixtures.ts';

const alert = {
  labels: {
    alertname: 'DatabaseConnectionsSaturated',
    severity: 'critical',
    service: 'orders',
    datname: 'orders',
  },
};
const FLAG = '/api/v1/flags/db-pool-size.orders';
const TERMINATE = '/api/v1/databases/orders/sessions/terminate';

/**
 * 95 of 100 connections in use, 40 of them idle; ending idle sessions brings it to 60. The orders pool
 * (20) has 12 requests waiting until the pool is raised; `pendingAfterRaise` after that.
 */
function services(opts: { pendingAfterRaise: number }) {
  const ended = () => http.find('POST', TERMINATE).length > 0;
  // An odd number of flag writes: raised (the revert writes the old value back).
  const raised = () => http.find('PUT', FLAG).length % 2 === 1;
  const routes: StubRoute[] = [
    {
      method: 'GET',
      url: '/api/v1/query',
      query: { query: /pg_stat_activity_count/ },
      reply: () =>
        vector(
          { labels: { state: 'active' }, value: 50 },
          { labels: { state: 'idle' }, value: ended() ? 10 : 40 },
          { labels: { state: 'idle in transaction' }, value: 5 },
        ),
    },
    { method: 'GET', url: '/api/v1/query', query: { query: /max_connections/ }, reply: vector(100) },
    {
      method: 'GET',
      url: '/api/v1/query',
      query: { query: /db_client_connections_pending_requests\{service="orders"\}/ },
      reply: () => vector(raised() ? opts.pendingAfterRaise : 12),
    },
    { method: 'GET', url: FLAG, reply: { json: { key: 'db-pool-size.orders', value: 20, version: 7 } } },
    {
      method: 'PUT',
      url: FLAG,
      reply: (req, n) => ({
        json: { key: 'db-pool-size.orders', value: (req.json as { value: number }).value, version: 8 + n },
      }),
    },
    {
      method: 'POST',
      url: TERMINATE,
      reply: {
        json: {
          terminated: [
            { pid: 4711, user: 'reports', application: 'nightly-export', idleSeconds: 5400 },
            { pid: 4712, user: 'reports', application: 'nightly-export', idleSeconds: 5300 },
          ],
        },
      },
    },
  ];
  const http = stubHttp(routes);
  return http;
}

const flagWrites = (http: ReturnType<typeof stubHttp>) =>
  http.find('PUT', FLAG).map((c) => (c.json as { value: number }).value);

describe('db-connections-saturated runbook', () => {
  test('its input comes from the alert (datname is the database)', () => {
    expect(inputFromAlert(dbConnectionsSaturated, alert)).toMatchObject({
      service: 'orders',
      database: 'orders',
    });
  });

  test('ends idle sessions, then raises the pool 20 → 30 after approval; waiting stops', async () => {
    const http = services({ pendingAfterRaise: 0 });
    await using t = await testRunbook(dbConnectionsSaturated, { alert, http });
    const terminate = http.find('POST', TERMINATE)[0]!;
    expect(terminate.json).toEqual({
      state: 'idle',
      idleForSeconds: 600,
      excludeUsers: ['postgres', 'replication'],
      limit: 40,
    });
    // The engine's key for this step (`<runId>:<step>`), the same on every attempt.
    expect(terminate.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}:[\w-]+$/);

    await t.advance('1m');
    expect(await t.output('afterCleanup')).toEqual({ ratio: 0.65, pending: 12 });
    await t.approve('raisePool');
    const write = http.find('PUT', FLAG)[0]!;
    expect(write.headers['if-match']).toBe('7');
    expect(write.json).toMatchObject({ value: 30 });
    const run = await t.advance('5m');
    expect(run.status).toBe('succeeded');
    expect(await t.output('raisePool')).toEqual({ flag: 'db-pool-size.orders', from: 20, to: 30 });
    expect((await t.output('announce'))?.message).toBe(
      'orders: 65% of max_connections; 2 idle sessions ended; pool of orders raised to 30',
    );
    expect(http.unmatched()).toEqual([]);
  });

  test('rejected: the pool flag is never written', async () => {
    const http = services({ pendingAfterRaise: 0 });
    await using t = await testRunbook(dbConnectionsSaturated, {
      alert,
      http,
      approvals: { raisePool: 'reject' },
    });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect((await t.step('raisePool')).status).toBe('rejected');
    expect(http.find('PUT', FLAG)).toEqual([]);
    expect(await t.reverts()).toMatchObject([{ step: 'endIdleSessions', outcome: 'reverted' }]);
  });

  test('verify fails (requests still wait): the old pool size is restored, then the rest, newest first', async () => {
    const http = services({ pendingAfterRaise: 9 });
    await using t = await testRunbook(dbConnectionsSaturated, { alert, http, approvals: 'approve' });
    const run = await t.finish();
    expect(run.status).toBe('compensated');
    expect(await t.reverts()).toMatchObject([
      { step: 'raisePool', outcome: 'reverted' },
      { step: 'endIdleSessions', outcome: 'reverted' },
    ]);
    expect(flagWrites(http)).toEqual([30, 20]);
    const [apply, revert] = http.find('PUT', FLAG);
    expect(revert!.headers['idempotency-key']).toBe(`${apply!.headers['idempotency-key']}:revert`);
  });

  test('dry run: ends no session and writes no flag', async () => {
    const http = services({ pendingAfterRaise: 0 });
    await using t = await testRunbook(dbConnectionsSaturated, { alert, http, dryRun: true });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(http.mutations()).toEqual([]);
    expect((await t.step('endIdleSessions')).output).toMatchObject({
      dryRun: true,
      wouldApply: { wouldEnd: 'up to 40 sessions idle ≥ 600 s on orders' },
    });
  });

  test('the postmortem reports the sessions ended and the pool change to decide on', async () => {
    const http = services({ pendingAfterRaise: 0 });
    await using t = await testRunbook(dbConnectionsSaturated, { alert, http, approvals: 'approve' });
    await t.finish();
    const { draft, markdown } = await t.postmortem();
    expect(draft.mitigations.map((m) => [m.step, m.status])).toEqual([
      ['endIdleSessions', 'succeeded'],
      ['raisePool', 'succeeded'],
    ]);
    expect(markdown).toContain(
      'orders was at 95% of max_connections (active 50, idle 40, idle in transaction 5).',
    );
    expect(markdown).toContain('The pool of orders was raised from 20 to 30 (flag db-pool-size.orders).');
    expect(markdown).toContain('### Sessions ended on orders');
  });

  test('the Wednesday drill rehearses the session cleanup as a dry run', async () => {
    const http = services({ pendingAfterRaise: 0 });
    await using t = await testRunbook(dbConnectionsSaturated, { gameDay: 'wednesday-drill', http });
    const run = await t.finish();
    expect(run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(await t.statuses()).toMatchObject({ endIdleSessions: 'succeeded', raisePool: 'skipped' });
    expect(http.mutations()).toEqual([]);
  });
});
