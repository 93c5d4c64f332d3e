// Debian's real Prometheus scrapes a real server's /metrics (with the METRICS_TOKEN, every second) and
// loads observability/prometheus-rules.yml; its HTTP API then shows the run counts, the recording rules
// evaluate on them, and every query of the Grafana dashboard parses. Skipped without /usr/bin/prometheus.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { FirebreakMetrics } from '../../src/observability/metrics.ts';
import { freePort } from '../support/private-postgres.ts';
import { type Daemon, daemon, PROMETHEUS_BIN } from '../support/prometheus-stack.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';
import { OBSERVED_RUNBOOKS } from './support.ts';

const RULES = fileURLToPath(new URL('../../observability/prometheus-rules.yml', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../../observability/grafana-dashboard.json', import.meta.url));
const METRICS_TOKEN = 'metrics-token-81d4c7e2';
const DEADLINE_MS = 20_000;

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}
interface QueryReply {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: VectorSample[] };
}

async function startScraper(target: string): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-prometheus-scrape-'));
  // YAML is a superset of JSON: no YAML library, no quoting rules.
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [RULES],
    scrape_configs: [
      {
        job_name: 'firebreak',
        authorization: { type: 'Bearer', credentials: METRICS_TOKEN },
        static_configs: [{ targets: [target] }],
      },
    ],
  };
  await writeFile(join(dir, 'prometheus.yml'), `${JSON.stringify(config, null, 2)}\n`);
  const port = await freePort();
  return daemon(dir, port, PROMETHEUS_BIN, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ]);
}

async function run(srv: TestServer, runbook: string): Promise<string> {
  const started = await srv.post<{ runId: string }>('/api/runs', { runbook, input: { service: 'web' } });
  expect(started.status, started.text).toBe(201);
  return (await srv.finalRun(started.body.runId)).run.status;
}

/** The dashboard's PromQL with Grafana's variables filled in as Grafana would. */
function dashboardQueries(): string[] {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  return dash.panels
    .flatMap((p) => p.targets ?? [])
    .map((t) =>
      t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replaceAll('$runbook', '.*'),
    );
}

describe.skipIf(!existsSync(PROMETHEUS_BIN))('Prometheus scraping /metrics', () => {
  test('sees the run counts, evaluates the rules and answers every dashboard query', async () => {
    await using srv = await testServer({ runbooksDir: OBSERVED_RUNBOOKS, env: { METRICS_TOKEN } });
    expect(await run(srv, 'observed-ok')).toBe('succeeded');
    expect(await run(srv, 'observed-ok')).toBe('succeeded');
    expect(await run(srv, 'observed-failing')).toBe('failed');

    const prom = await startScraper(new URL(srv.url).host);
    try {
      const query = async (q: string): Promise<QueryReply> => {
        const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
        return (await res.json()) as QueryReply;
      };
      /** Polls until the query returns a sample (Prometheus scrapes every second). */
      const sampleOf = (q: string, accept: (v: number) => boolean = () => true) =>
        until(
          async () => {
            const r = await query(q);
            const v = r.data?.result[0]?.value[1];
            return v !== undefined && accept(Number(v)) ? Number(v) : null;
          },
          DEADLINE_MS,
          200,
        ).catch((err: Error) => {
          throw new Error(`${q}: ${err.message}\nprometheus output:\n${prom.output()}`);
        });

      expect(await sampleOf('up{job="firebreak"}')).toBe(1);
      const runs = await until(async () => {
        const r = await query('firebreak_runs_total');
        return (r.data?.result.length ?? 0) >= 2 ? r.data!.result : null;
      }, DEADLINE_MS);
      const counts = Object.fromEntries(
        runs.map((s) => [`${s.metric.runbook}/${s.metric.status}`, Number(s.value[1])]),
      );
      expect(counts).toEqual({ 'observed-ok/succeeded': 2, 'observed-failing/failed': 1 });
      expect(runs[0]?.metric).toMatchObject({ job: 'firebreak', instance: new URL(srv.url).host });
      expect(await sampleOf('sum(firebreak_step_retries_total)')).toBe(4);
      expect(await sampleOf('firebreak_run_duration_seconds_count{runbook="observed-ok"}')).toBe(2);

      // Another failure after Prometheus has seen the first values: the only runs that increased in
      // the window failed, so the recorded error ratio is 1.
      expect(await run(srv, 'observed-failing')).toBe('failed');
      expect(await sampleOf('firebreak_runs_total{runbook="observed-failing"}', (v) => v === 2)).toBe(2);
      expect(await sampleOf('firebreak:run_error_ratio:rate5m', (v) => v === 1)).toBe(1);

      const rules = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      expect(rules.data.groups.map((g) => g.name).sort()).toEqual([
        'firebreak-alerts',
        'firebreak-slo-alerts',
        'firebreak-slo-recording',
      ]);
      const unhealthy = rules.data.groups
        .flatMap((g) => g.rules)
        .filter((r) => r.health === 'err')
        .map((r) => `${r.name}: ${r.lastError}`);
      expect(unhealthy).toEqual([]);

      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThan(15);
      for (const q of queries) {
        const r = await query(q);
        expect(r.status, `${q}: ${r.error}`).toBe('success');
      }
    } finally {
      await prom.stop();
    }
    // A server, four runs, a Prometheus start and a rate window: more than the default minute on a busy CI box.
  }, 120_000);
});

test('every metric the dashboard and the rules name is one that /metrics exposes', async () => {
  const exposed = await new FirebreakMetrics({ defaultMetrics: false }).registry.metrics();
  const families = new Set([...exposed.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  const named = new Set(
    [
      ...`${readFileSync(DASHBOARD, 'utf8')}\n${readFileSync(RULES, 'utf8')}`.matchAll(
        /\bfirebreak_[a-z_]+/g,
      ),
    ].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
  );
  expect(named.size).toBeGreaterThan(8);
  expect([...named].filter((n) => !families.has(n))).toEqual([]);
});

// A missing binary is never a pass: CI (which installs it, .ci/run) fails, elsewhere the test is skipped
// with the reason in the report.
test.runIf(!existsSync(PROMETHEUS_BIN))('Prometheus is installed to scrape /metrics', (ctx) => {
  if (!process.env.CI)
    ctx.skip(`${PROMETHEUS_BIN} not found (Debian: apt-get install prometheus): scrape not tested`);
  expect.fail(`${PROMETHEUS_BIN} not found: .ci/run installs Debian's prometheus package`);
});
