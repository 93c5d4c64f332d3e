// GET /metrics of a real server after real runs: the outcome, duration, retry and failure series by
// runbook, the gauges read from the database at scrape time, lease takeovers, and the token.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/core/logger.ts';
import { SlackCounters } from '../../src/integrations/slack/counters.ts';
import { FirebreakMetrics } from '../../src/observability/metrics.ts';
import { MetricsScraper } from '../../src/observability/scrape.ts';
import { fixtureRaw } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';
import { OBSERVED_RUNBOOKS, parseExposition, type Sample, sampleValue } from './support.ts';

const METRICS_TOKEN = 'metrics-token-5c2e9a71';
const OPERATOR = 'operator-token-7d1f3b20';
const APPROVER = 'approver-token-2a8c6e45';

describe('GET /metrics', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({
      runbooksDir: OBSERVED_RUNBOOKS,
      env: { METRICS_TOKEN, API_TOKENS: `${OPERATOR}=operator:op-1,${APPROVER}=approver:ap-1` },
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  const scrape = async (): Promise<Sample[]> => {
    const r = await srv.get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(r.text);
  };
  const run = async (runbook: string) => {
    const started = await srv.post<{ runId: string }>('/api/runs', { runbook, input: { service: 'web' } });
    expect(started.status, started.text).toBe(201);
    return srv.finalRun(started.body.runId);
  };

  test('without the METRICS_TOKEN it answers 401; with it, the metrics', async () => {
    expect((await srv.get('/metrics')).status).toBe(401);
    expect((await srv.get('/metrics', { authorization: 'Bearer wrong-token-000000' })).status).toBe(401);
    const samples = await scrape();
    // The process metrics come too, under their usual names.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  test('run outcomes, durations, retries and step failures by runbook and kind', async () => {
    expect((await run('observed-ok')).run.status).toBe('succeeded');
    expect((await run('observed-ok')).run.status).toBe('succeeded');
    expect((await run('observed-failing')).run.status).toBe('failed');
    const s = await scrape();

    expect(sampleValue(s, 'firebreak_runs_total', { runbook: 'observed-ok', status: 'succeeded' })).toBe(2);
    expect(sampleValue(s, 'firebreak_runs_total', { runbook: 'observed-failing', status: 'failed' })).toBe(1);
    expect(
      sampleValue(s, 'firebreak_runs_total', { runbook: 'observed-failing', status: 'succeeded' }),
    ).toBeNull();

    const ok = { runbook: 'observed-ok', status: 'succeeded' };
    expect(sampleValue(s, 'firebreak_run_duration_seconds_count', ok)).toBe(2);
    // Each run waited out a 20 ms retry backoff, so it took at least that long end to end.
    expect(sampleValue(s, 'firebreak_run_duration_seconds_sum', ok)).toBeGreaterThanOrEqual(0.04);
    expect(sampleValue(s, 'firebreak_run_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(2);

    // One retry per observed-ok run; two (then a failure) for the observed-failing one.
    expect(
      sampleValue(s, 'firebreak_step_retries_total', { runbook: 'observed-ok', kind: 'diagnostic' }),
    ).toBe(2);
    expect(
      sampleValue(s, 'firebreak_step_retries_total', { runbook: 'observed-failing', kind: 'diagnostic' }),
    ).toBe(2);
    expect(
      sampleValue(s, 'firebreak_step_failures_total', { runbook: 'observed-failing', kind: 'diagnostic' }),
    ).toBe(1);
    expect(sampleValue(s, 'firebreak_step_failures_total', { runbook: 'observed-ok' })).toBeNull();

    const steps = { runbook: 'observed-ok', kind: 'diagnostic', status: 'succeeded' };
    expect(sampleValue(s, 'firebreak_step_duration_seconds_count', steps)).toBe(4);
    // The step duration spans its retries: `recover` waited 20 ms before its second attempt.
    expect(sampleValue(s, 'firebreak_step_duration_seconds_sum', steps)).toBeGreaterThanOrEqual(0.04);
    expect(
      sampleValue(s, 'firebreak_step_duration_seconds_count', {
        runbook: 'observed-failing',
        kind: 'diagnostic',
        status: 'failed',
      }),
    ).toBe(1);
    expect(sampleValue(s, 'firebreak_engine_active_runs')).toBe(0);
  });

  test('a blocked event loop shows in firebreak_event_loop_lag_seconds', async () => {
    const stalls = (s: Sample[]) =>
      (sampleValue(s, 'firebreak_event_loop_lag_seconds_count') ?? 0) -
      (sampleValue(s, 'firebreak_event_loop_lag_seconds_bucket', { le: '0.25' }) ?? 0);
    const before = stalls(await scrape());
    // The server runs in this process: hold its loop for 400 ms, as a slow render would.
    const until400 = performance.now() + 400;
    while (performance.now() < until400) {}
    // The sampler's timer fires once the loop is free again, reporting how late it was.
    await until(async () => (stalls(await scrape()) > before ? true : null));
  });

  test('pending approvals are read at scrape time; a decision observes the wait', async () => {
    const before = await scrape();
    expect(sampleValue(before, 'firebreak_approvals_pending')).toBe(0);
    expect(sampleValue(before, 'firebreak_approval_wait_seconds_count')).toBeNull();

    const started = await srv.post<{ runId: string }>('/api/runs', {
      runbook: 'observed-gated',
      input: { service: 'web' },
    });
    expect(started.status, started.text).toBe(201);
    const approvalId = await until(async () => {
      const r = await srv.get<{ approvals: { id: string }[] }>(
        `/api/approvals?status=pending&run=${started.body.runId}`,
      );
      return r.body.approvals[0]?.id ?? null;
    });
    expect(sampleValue(await scrape(), 'firebreak_approvals_pending')).toBe(1);

    // Four eyes: whoever started the run may not approve its gate.
    const decided = await srv.post(
      `/api/approvals/${approvalId}/approve`,
      {},
      { authorization: `Bearer ${APPROVER}` },
    );
    expect(decided.status, decided.text).toBe(200);
    expect((await srv.finalRun(started.body.runId)).run.status).toBe('succeeded');
    const after = await scrape();
    expect(sampleValue(after, 'firebreak_approvals_pending')).toBe(0);
    expect(sampleValue(after, 'firebreak_approval_wait_seconds_count', { outcome: 'approved' })).toBe(1);
    expect(
      sampleValue(after, 'firebreak_approval_wait_seconds_bucket', { outcome: 'approved', le: '+Inf' }),
    ).toBe(1);
    expect(
      sampleValue(after, 'firebreak_runs_total', { runbook: 'observed-gated', status: 'succeeded' }),
    ).toBe(1);
  });

  test('active incidents (drills excluded) and dead letters are read from the database', async () => {
    const before = await scrape();
    expect(sampleValue(before, 'firebreak_db_up')).toBe(1);
    expect(sampleValue(before, 'firebreak_incidents_active')).toBe(0);
    expect(sampleValue(before, 'firebreak_dead_letters')).toBe(0);

    const firing = await srv.post('/webhooks/generic', fixtureRaw('generic/firing.json'));
    expect(firing.status, firing.text).toBeLessThan(300);
    // A drill's incident is no incident to count as active.
    const now = new Date();
    await srv.fb.store.driver.query(
      `insert into incidents (id, source, group_key, status, title, labels, drill, opened_at, last_notified_at, updated_at)
       values ($1, 'generic', 'drill-group', 'firing', 'drill', '{}'::jsonb, true, $2, $2, $2)`,
      [randomUUID(), now],
    );
    // A resolved notification for a group never seen is kept as a dead letter.
    const orphan = JSON.stringify({
      ...JSON.parse(fixtureRaw('generic/firing.json')),
      id: 'never-seen',
      status: 'resolved',
    });
    const dead = await srv.post('/webhooks/generic', orphan);
    expect(dead.status, dead.text).toBeLessThan(300);

    const after = await scrape();
    expect(sampleValue(after, 'firebreak_incidents_active')).toBe(1);
    expect(sampleValue(after, 'firebreak_dead_letters')).toBe(1);
  });

  test("a run claimed after another worker's lease expired counts as a takeover", async () => {
    expect(sampleValue(await scrape(), 'firebreak_lease_takeovers_total')).toBe(0);
    const rb = srv.fb.registry.get('observed-ok')!;
    const now = new Date();
    const id = randomUUID();
    // What a worker that died mid-run leaves behind: a running run under a lease that ran out.
    await srv.fb.store.createRuns([
      {
        id,
        runbookId: rb.id,
        runbookVersion: rb.version,
        plan: rb.plan,
        input: { service: 'web' },
        dryRun: false,
        idempotencyKey: null,
        concurrencyKey: null,
        incidentId: null,
        requestedBy: null,
        leaseOwner: 'worker-that-died',
        leaseExpiresAt: new Date(now.getTime() - 1_000),
        now,
      },
    ]);
    srv.fb.engine.poke();
    expect((await srv.finalRun(id)).run.status).toBe('succeeded');
    expect(sampleValue(await scrape(), 'firebreak_lease_takeovers_total')).toBe(1);
  });
});

describe("Slack's delivery counts", () => {
  test('mirror the integration’s counters as firebreak_slack_delivery_failures_total', async () => {
    const metrics = new FirebreakMetrics({ defaultMetrics: false });
    const scraper = new MetricsScraper(metrics, {
      driver: { query: async () => [{ pending: 0 }] as never },
      incidents: { counts: async () => ({ activeIncidents: 0, deadLetters: 0 }) },
      engine: { activeRuns: 0 },
      logger: silentLogger,
    });
    expect(
      sampleValue(parseExposition(await scraper.render()), 'firebreak_slack_delivery_failures_total'),
    ).toBeNull();

    const counters = new SlackCounters();
    scraper.watchSlack(counters);
    counters.failedAttempts += 3;
    counters.rateLimited += 1;
    counters.abandoned += 2;
    counters.delivered += 10;
    const s = parseExposition(await scraper.render());
    const failures = (reason: string) =>
      sampleValue(s, 'firebreak_slack_delivery_failures_total', { reason });
    expect([failures('attempt_failed'), failures('rate_limited'), failures('abandoned')]).toEqual([3, 1, 2]);

    counters.abandoned += 1;
    const again = parseExposition(await scraper.render());
    expect(sampleValue(again, 'firebreak_slack_delivery_failures_total', { reason: 'abandoned' })).toBe(3);
  });
});
