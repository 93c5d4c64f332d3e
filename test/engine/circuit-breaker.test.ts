// Circuit breaking of ctx.http against a real local HTTP server that fails and then recovers: many runs
// at once send a failing host at most `failures` requests, wait (without using attempts) while the
// circuit is open, and complete once the host answers again; /metrics shows the circuit open, then closed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { hostOf } from '../../src/engine/circuit-breakers.ts';
import { FirebreakError, runbook, z } from '../../src/index.ts';
import { meterEngine } from '../../src/observability/engine-metrics.ts';
import { FirebreakMetrics } from '../../src/observability/metrics.ts';
import { testRunbook } from '../../src/testing/index.ts';
import { parseExposition, sampleValue } from '../observability/support.ts';
import { testFirebreak } from '../support/engine.ts';

/** A local server that answers 503 while `failing`, 200 after; it counts what it was sent. */
async function flakyServer(): Promise<{
  url: string;
  host: string;
  failing: boolean;
  requests: { failed: number; ok: number };
  /** When the first 200 was answered (ms). */
  firstOkAt: number | null;
  close(): Promise<void>;
}> {
  const state = {
    failing: true,
    requests: { failed: 0, ok: 0 },
    firstOkAt: null as number | null,
  };
  const server: Server = createServer((_req, res) => {
    if (state.failing) {
      state.requests.failed++;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down for maintenance"}');
    } else {
      state.requests.ok++;
      state.firstOkAt ??= Date.now();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ratio":0.01}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const host = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    url: `${host}/api/v1/query`,
    host,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const probing = (url: string) =>
  runbook({
    id: 'probe-upstream',
    title: 'probe upstream',
    input: z.object({ n: z.number() }),
    circuitBreaker: { failures: 3, coolDown: '1500ms' },
    retry: { maxAttempts: 3, initialDelayMs: 20, jitter: 0 },
  }).diagnostic('query', async ({ http }) => {
    const res = await http(url);
    if (res.status >= 500) throw new FirebreakError('upstream', `${url} answered ${res.status}`);
    return (await res.json()) as { ratio: number };
  });

describe('circuit breaking of ctx.http', () => {
  test('one breaker per scheme, host and port; credentials and queries never reach its name', () => {
    expect(hostOf('https://user:s3cret-pass@api.example:8443/v1/x?token=abc123456')).toBe(
      'https://api.example:8443',
    );
    expect(hostOf('https://api.example:443/a')).toBe(hostOf('https://api.example/b'));
    expect(hostOf('http://api.example/a')).not.toBe(hostOf('https://api.example/a'));
  });

  test('20 runs at once against a failing host send it 3 requests, wait, and succeed once it recovers', async () => {
    const upstream = await flakyServer();
    servers.push(upstream);
    await using fb = await testFirebreak([probing(upstream.url)]);
    const metrics = new FirebreakMetrics({ defaultMetrics: false });
    meterEngine(fb.engine.events, metrics);
    const gauge = async () =>
      sampleValue(parseExposition(await metrics.registry.metrics()), 'firebreak_http_circuit_state', {
        host: upstream.host,
      });

    const transitions: string[] = [];
    const gaugeAtTransition: (number | null)[] = [];
    fb.engine.events.on('circuit.changed', (e) => {
      transitions.push(e.state);
      // The metrics listener was subscribed first, so the gauge already shows the new state.
      void gauge().then((g) => gaugeAtTransition.push(g));
    });
    // The host comes back as soon as its circuit opens: the runs must still wait out the cool-down.
    const opened = fb.engine.events.waitFor('circuit.changed', (e) => e.state === 'open', 45_000);
    void opened.then(() => {
      upstream.failing = false;
    });

    const started = await Promise.all(
      Array.from({ length: 20 }, (_, n) => fb.start('probe-upstream', { n })),
    );
    const open = await opened;
    expect(open).toMatchObject({ host: upstream.host, failures: 3 });
    expect(open.halfOpensAt).toBeInstanceOf(Date);
    // At most `failures` real requests reached the failing host, however many runs wanted to call it.
    expect(upstream.requests.failed).toBe(3);

    const runs = await Promise.all(started.map((s) => fb.result(s.runId, { timeoutMs: 90_000 })));
    expect(runs.map((r) => r.status)).toEqual(Array(20).fill('succeeded'));
    // Each run got its answer with one request; the 3 that failed before the circuit opened are all.
    expect(upstream.requests).toEqual({ failed: 3, ok: 20 });
    // Nobody called the host again before the cool-down was over.
    expect(upstream.firstOkAt).toBeGreaterThanOrEqual(open.halfOpensAt!.getTime());
    expect(transitions).toEqual(['open', 'half_open', 'closed']);
    await expect.poll(() => gaugeAtTransition.length, { timeout: 5_000 }).toBe(3);
    expect(gaugeAtTransition).toEqual([1, 2, 0]);
    expect(await gauge()).toBe(0);
    const rejections = sampleValue(
      parseExposition(await metrics.registry.metrics()),
      'firebreak_http_circuit_rejections_total',
      { host: upstream.host },
    );
    expect(rejections).toBeGreaterThanOrEqual(17);

    // A refused call is on the step's record, naming the host and when it half-opens, and it used
    // none of the retry policy's 3 attempts: a run refused more than twice still succeeded.
    const views = await Promise.all(started.map((s) => fb.view(s.runId)));
    const refusals = views.flatMap((v) => v!.attempts.filter((a) => a.error?.code === 'circuit_open'));
    expect(refusals.length).toBeGreaterThanOrEqual(17);
    expect(refusals.some((a) => a.error?.message.includes('half-opens at'))).toBe(true);
    for (const a of refusals) {
      expect(a.error?.message).toContain(upstream.host);
      expect(a.error?.message).toContain('request not sent');
    }
    const retryingEvents = views.flatMap((v) => v!.events.filter((e) => e.type === 'step.retrying'));
    const circuitWaits = retryingEvents.filter(
      (e) => (e.data as { circuit?: string }).circuit === upstream.host,
    );
    expect(circuitWaits.length).toBe(refusals.length);
    // step retries count failed tries only: the 3 real failures, not the waits for the circuit.
    const retries = sampleValue(
      parseExposition(await metrics.registry.metrics()),
      'firebreak_step_retries_total',
      {
        runbook: 'probe-upstream',
      },
    );
    expect(retries).toBe(3);
  }, 150_000);

  test('circuitBreaker: false sends every request: 2 runs × 3 attempts reach the failing host', async () => {
    const upstream = await flakyServer();
    servers.push(upstream);
    const rb = runbook({
      id: 'no-breaker',
      title: 'no breaker',
      input: z.object({ n: z.number() }),
      circuitBreaker: false,
      retry: { maxAttempts: 3, initialDelayMs: 5, jitter: 0 },
    }).diagnostic('query', async ({ http }) => {
      const res = await http(upstream.url);
      if (res.status >= 500) throw new FirebreakError('upstream', `answered ${res.status}`);
      return {};
    });
    await using fb = await testFirebreak([rb]);
    const runs = await Promise.all([fb.run('no-breaker', { n: 1 }), fb.run('no-breaker', { n: 2 })]);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(upstream.requests.failed).toBe(6);
    expect(fb.engine.breakers.state(upstream.host)).toMatchObject({ state: 'closed', failures: 0 });
  });
});

describe('circuit breaking under the testing kit (stubHttp, manual clock)', () => {
  test('a step waits for an open circuit at most maxWait, then fails naming the host and its half-open time', async () => {
    const rb = runbook({
      id: 'patient',
      title: 'patient',
      input: z.object({}),
      circuitBreaker: { failures: 2, coolDown: '30s', maxWait: '1m' },
      retry: { maxAttempts: 10, initialDelayMs: 0, jitter: 0 },
    }).diagnostic('query', async ({ http }) => {
      const res = await http('https://prometheus.example/api/v1/query');
      if (res.status >= 500) throw new FirebreakError('upstream', `answered ${res.status}`);
      return {};
    });
    await using t = await testRunbook(rb, { http: { 'GET /api/v1/query': { status: 503, json: {} } } });
    const start = t.clock.now().getTime();
    const run = await t.finish();
    expect(run.status).toBe('failed');
    // 2 failures opened it; a trial at +30 s and one at +60 s failed; the wait then passed maxWait.
    expect(t.http.calls.length).toBe(4);
    expect(t.clock.now().getTime() - start).toBe(60_000);
    expect(run.error).toMatchObject({ code: 'circuit_open', step: 'query' });
    expect(run.error?.message).toBe(
      'circuit open for https://prometheus.example after 4 consecutive failures (connection errors or 5xx); ' +
        'it half-opens at 2026-01-01T00:01:30.000Z; request not sent',
    );
  });

  test('on by default: a stubbed host failing 5 times in a row opens its circuit for 30 s', async () => {
    const rb = runbook({
      id: 'defaults',
      title: 'defaults',
      input: z.object({}),
      retry: { maxAttempts: 6, initialDelayMs: 0 },
    }).diagnostic('query', async ({ http }) => {
      const res = await http('https://api.example/x');
      if (res.status >= 500) throw new FirebreakError('upstream', `answered ${res.status}`);
      return { ok: true };
    });
    await using t = await testRunbook(rb, {
      http: { 'GET /x': [...Array(5).fill({ status: 502 }), { json: {} }] },
    });
    const start = t.clock.now().getTime();
    expect((await t.finish()).status).toBe('succeeded');
    expect(t.http.calls.length).toBe(6);
    expect(t.clock.now().getTime() - start).toBe(30_000);
    const refused = (await t.firebreak.view(t.runId))!.attempts.filter(
      (a) => a.error?.code === 'circuit_open',
    );
    expect(refused).toHaveLength(1);
  });
});
