// The runs API through real HTTP: start (idempotent), dry run, read, cancel, retry from the first failed
// step; runbooks with their graph; /openapi.json; and who may do what.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixtureRaw } from '../support/senders.ts';
import { type RunViewWire, type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';

const TOKENS = {
  viewer: 'viewer-token-aaaa1111',
  operator: 'operator-token-bbbb2222',
  approver: 'approver-token-cccc3333',
  admin: 'admin-token-dddd4444',
};
const as = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });

interface Started {
  runId: string;
  created: boolean;
}

describe('the runs API', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({
      env: {
        API_TOKENS: Object.entries(TOKENS)
          .map(([role, token]) => `${token}=${role}:${role}-1`)
          .join(','),
      },
      headers: as('operator'),
    });
  });
  afterAll(async () => {
    await srv?.close();
  });

  const start = (body: object) => srv.post<Started>('/api/runs', body);

  test('POST /api/runs creates a run (201); the same idempotencyKey returns it (200)', async () => {
    const body = { runbook: 'restart-service', input: { service: 'web' }, idempotencyKey: 'deploy-42' };
    const first = await start(body);
    expect(first.status, first.text).toBe(201);
    expect(first.body.created).toBe(true);
    const again = await start({ ...body, input: { service: 'other' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ runId: first.body.runId, created: false });

    const view = await srv.finalRun(first.body.runId);
    expect(view.run).toMatchObject({
      status: 'succeeded',
      input: { service: 'web' },
      dryRun: false,
      requestedBy: 'api:operator-1',
      idempotencyKey: 'deploy-42',
    });
    expect(view.steps.map((s) => [s.stepKey, s.status])).toEqual([
      ['inspect', 'succeeded'],
      ['restart', 'succeeded'],
    ]);
    expect(view.steps[1]?.output).toEqual({ restarted: 'web' });
    expect(view.attempts.map((a) => [a.stepKey, a.attempt, a.status])).toEqual(
      expect.arrayContaining([
        ['inspect', 1, 'succeeded'],
        ['restart', 1, 'succeeded'],
      ]),
    );
    const types = view.events.map((e) => e.type);
    expect(types[0]).toBe('run.created');
    expect(types.at(-1)).toBe('run.succeeded');
    const runs = await srv.get<{ runs: { id: string }[] }>('/api/runs?runbook=restart-service');
    expect(runs.body.runs.filter((r) => r.id === first.body.runId)).toHaveLength(1);
  });

  test('a dry run records what the mitigation would do and applies nothing', async () => {
    const r = await start({ runbook: 'restart-service', input: { service: 'db' }, dryRun: true });
    expect(r.status).toBe(201);
    const view = await srv.finalRun(r.body.runId);
    expect(view.run).toMatchObject({ status: 'succeeded', dryRun: true });
    expect(view.steps.find((s) => s.stepKey === 'restart')?.output).toEqual({
      dryRun: true,
      wouldApply: 'would restart db',
    });
    expect(view.steps.find((s) => s.stepKey === 'restart')?.appliedSeq).toBeNull();
  });

  test('GET /api/runs/:id answers 404 for a run that does not exist', async () => {
    const r = await srv.get('/api/runs/00000000-0000-4000-8000-000000000000');
    expect(r.status).toBe(404);
  });

  test('POST /api/runs/:id/cancel stops a waiting run', async () => {
    const r = await start({ runbook: 'long-wait', input: { service: 'web' } });
    // Parked on its hour-long timer: nothing left to do but wait.
    await until(async () => {
      const v = await srv.get<RunViewWire>(`/api/runs/${r.body.runId}`);
      return v.body.run.status === 'waiting' ? v.body : null;
    });
    const cancel = await srv.post<{ run: { id: string } }>(`/api/runs/${r.body.runId}/cancel`);
    expect(cancel.status, cancel.text).toBe(202);
    expect(cancel.body.run.id).toBe(r.body.runId);
    const view = await srv.finalRun(r.body.runId);
    expect(view.run.status).toBe('cancelled');
    expect(view.steps.find((s) => s.stepKey === 'after')?.status ?? 'never ran').not.toBe('succeeded');
    expect(view.events.map((e) => e.type)).toContain('run.cancelled');
  });

  test('retry resumes a failed run from its first failed step, keeping committed outputs', async () => {
    // An incident to hang the run on, so the retry shows on its timeline.
    const raw = fixtureRaw('generic/firing.json');
    const alert = await srv.post<{ incidentId: string }>('/webhooks/generic', raw, {
      authorization: undefined,
    });
    expect(alert.status).toBe(202);
    const { incidentId } = alert.body;

    const r = await start({ runbook: 'flaky-second', input: { service: 'web' }, incidentId });
    const failed = await srv.finalRun(r.body.runId);
    expect(failed.run.status).toBe('failed');
    expect(failed.steps.map((s) => [s.stepKey, s.status])).toEqual([
      ['first', 'succeeded'],
      ['second', 'failed'],
    ]);
    const firstBefore = failed.steps.find((s) => s.stepKey === 'first')!;

    const retry = await srv.post(`/api/runs/${r.body.runId}/retry`);
    expect(retry.status, retry.text).toBe(202);
    expect(retry.body).toEqual({ runId: r.body.runId, status: 'queued' });

    const done = await srv.finalRun(r.body.runId);
    expect(done.run.status).toBe('succeeded');
    const first = done.steps.find((s) => s.stepKey === 'first')!;
    expect(first).toEqual(firstBefore);
    expect(done.attempts.filter((a) => a.stepKey === 'first')).toHaveLength(1);
    // `first` ran once in all: its counter is still 1 when `second` finally succeeds.
    expect(done.steps.find((s) => s.stepKey === 'second')?.output).toEqual({ firstCalls: 1, firstOutput: 1 });
    const retried = done.events.find((e) => e.type === 'run.retried');
    expect(retried?.data).toEqual({ reset: ['second'] });

    const timeline = (await srv.incident(incidentId)).timeline.map((e) => e.type);
    expect(timeline).toContain('run.retried');
    expect(timeline.indexOf('run.retried')).toBeGreaterThan(timeline.indexOf('run.failed'));

    // A second retry of the now succeeded run is a conflict.
    expect((await srv.post(`/api/runs/${r.body.runId}/retry`)).status).toBe(409);
  });

  test('GET /api/runbooks lists the runbooks with steps and triggers', async () => {
    const r = await srv.get<{
      runbooks: { id: string; steps: { name: string; kind: string }[]; triggers: object[] }[];
      failed: unknown[];
    }>('/api/runbooks');
    expect(r.status).toBe(200);
    expect(r.body.failed).toEqual([]);
    expect(r.body.runbooks.map((rb) => rb.id).sort()).toEqual([
      'flaky-second',
      'high-error-rate',
      'leaky',
      'long-wait',
      'replica-lag',
      'restart-service',
    ]);
    const her = r.body.runbooks.find((rb) => rb.id === 'high-error-rate');
    expect(her?.triggers).toEqual([{ alertname: '=HighErrorRate' }]);
    expect(r.body.runbooks.find((rb) => rb.id === 'restart-service')?.steps).toEqual([
      { name: 'inspect', kind: 'diagnostic', needs: [] },
      { name: 'restart', kind: 'mitigation', needs: ['inspect'] },
    ]);
  });

  test('GET /api/runbooks/:id has the graph and recent runs', async () => {
    const r = await srv.get<{ id: string; version: string; graph: string; recentRuns: { id: string }[] }>(
      '/api/runbooks/restart-service',
    );
    expect(r.status).toBe(200);
    expect(r.body.graph.split('\n')[0]).toBe('flowchart TD');
    expect(r.body.graph).toContain('inspect --> restart');
    expect(r.body.version).toMatch(/\w/);
    expect(r.body.recentRuns.length).toBeGreaterThanOrEqual(2);
    expect((await srv.get('/api/runbooks/nope')).status).toBe(404);
  });

  test('GET /openapi.json is an OpenAPI 3.1 document with every route', async () => {
    const r = await srv.get<{
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    }>('/openapi.json', { authorization: undefined });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(r.body.info.title).toBe('firebreak');
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/webhooks/{source}',
        '/api/incidents',
        '/api/incidents/{id}',
        '/api/runs',
        '/api/runs/{id}',
        '/api/runs/{id}/cancel',
        '/api/runs/{id}/retry',
        '/api/runbooks',
        '/api/runbooks/{id}',
        '/api/dead-letters',
        '/api/dead-letters/{id}/replay',
        '/healthz',
        '/readyz',
      ]),
    );
    for (const [path, ops] of Object.entries(r.body.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const [method, op] of Object.entries(ops)) {
        expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
        expect(Object.keys(op.responses)).toContain('default');
      }
    }
    const startRun = r.body.paths['/api/runs']?.post?.requestBody as {
      content: {
        'application/json': { schema: { properties: Record<string, unknown>; required?: string[] } };
      };
    };
    const schema = startRun.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['runbook', 'input', 'dryRun', 'idempotencyKey']),
    );
    expect(schema.required).toEqual(['runbook']);
  });

  describe('roles', () => {
    const body = { runbook: 'restart-service', input: { service: 'roles' }, dryRun: true };

    test('a viewer can read but not start, cancel or retry runs', async () => {
      expect((await srv.get('/api/runs', as('viewer'))).status).toBe(200);
      expect((await srv.get('/api/incidents', as('viewer'))).status).toBe(200);
      expect((await srv.get('/api/runbooks', as('viewer'))).status).toBe(200);
      const refused = await srv.post<{ error: { code: string; message: string } }>(
        '/api/runs',
        body,
        as('viewer'),
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error).toEqual({ code: 'forbidden', message: 'viewer-1 (viewer) may not operate' });
      const anyRun = '00000000-0000-4000-8000-000000000000';
      expect((await srv.post(`/api/runs/${anyRun}/cancel`, undefined, as('viewer'))).status).toBe(403);
      expect((await srv.post(`/api/runs/${anyRun}/retry`, undefined, as('viewer'))).status).toBe(403);
    });

    test('an approver cannot start runs either', async () => {
      expect((await srv.post('/api/runs', body, as('approver'))).status).toBe(403);
    });

    test('an operator and an admin can start runs', async () => {
      const byOperator = await srv.post<Started>('/api/runs', body, as('operator'));
      expect(byOperator.status).toBe(201);
      const byAdmin = await srv.post<Started>('/api/runs', body, as('admin'));
      expect(byAdmin.status).toBe(201);
      expect((await srv.finalRun(byAdmin.body.runId)).run.requestedBy).toBe('api:admin-1');
    });
  });
});
