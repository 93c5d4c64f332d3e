// End to end with the real senders: a gauge flips to 1, Prometheus fires an alert, Alertmanager posts it
// to firebreak with its bearer token, the matching runbook runs and attaches evidence; the gauge flips
// back and Alertmanager's resolved notification resolves the incident.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { type Server, startServer } from '../../src/server.ts';
import { testDatabase } from '../support/db.ts';
import { startGaugeTarget } from '../support/gauge-target.ts';
import { freePort } from '../support/private-postgres.ts';
import {
  type Daemon,
  missingBinaries,
  startAlertmanager,
  startPrometheus,
} from '../support/prometheus-stack.ts';

const RUNBOOKS_DIR = fileURLToPath(new URL('../fixtures/runbooks-e2e/', import.meta.url));
const TOKEN = 'e2e-alertmanager-token';
const DEADLINE_MS = 20_000;

interface IncidentView {
  incident: { id: string; status: string; source: string; labels: Record<string, string> };
  alerts: { status: string; labels: Record<string, string> }[];
  runs: { id: string; runbookId: string; status: string; requestedBy: string | null }[];
  timeline: { type: string }[];
  evidence: { runId: string | null; stepKey: string | null; kind: string; title: string; content: unknown }[];
}

describe('Prometheus and Alertmanager to firebreak', () => {
  test('a firing alert runs its runbook with evidence; the resolved notification resolves the incident', async (ctx) => {
    const missing = missingBinaries();
    if (missing.length > 0) {
      // CI installs both (.ci/run): there a missing binary fails rather than passing unseen.
      if (process.env.CI) throw new Error(`${missing.join(' and ')} not found: .ci/run installs them`);
      ctx.skip(`needs ${missing.join(' and ')}: apt-get install prometheus prometheus-alertmanager`);
    }

    const db = await testDatabase();
    const target = await startGaugeTarget('firebreak_e2e_disk_full', { mount: '/data' });
    const alertmanagerPort = await freePort();
    // Prometheus needs seconds to find its Alertmanager, so it starts while firebreak migrates.
    const prometheus = startPrometheus({
      target: target.address,
      alertmanager: `127.0.0.1:${alertmanagerPort}`,
      rule: {
        alert: 'FirebreakE2EDiskFull',
        expr: 'firebreak_e2e_disk_full > 0',
        labels: { severity: 'critical' },
        annotations: { summary: 'disk {{ $labels.mount }} is full' },
      },
    });
    prometheus.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const daemons: Daemon[] = [];
    let server: Server | undefined;

    // A condition not met in time fails with what the senders logged, which is where the reason is.
    const waitFor = async <T>(what: string, probe: () => Promise<T | null>): Promise<T> => {
      const deadline = Date.now() + DEADLINE_MS;
      for (;;) {
        const value = await probe();
        if (value !== null) return value;
        if (Date.now() > deadline) {
          const logs = daemons.map((d) => `--- ${d.url}\n${d.output()}`).join('\n');
          throw new Error(`${what}: not within ${DEADLINE_MS} ms\n${logs}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const api = async <T>(path: string): Promise<T> => {
      const res = await fetch(`${server!.url}${path}`);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const view = (id: string) => api<IncidentView>(`/api/incidents/${id}`);

    try {
      server = await startServer(
        parseConfig({
          DATABASE_URL: db.databaseUrl,
          FIREBREAK_DATA_DIR: db.dataDir,
          RUNBOOKS_DIR,
          PORT: '0',
          HOST: '127.0.0.1',
          ALERTMANAGER_TOKEN: TOKEN,
          LOG_LEVEL: 'silent',
          FIREBREAK_POLL_MS: '100',
        }),
        { print: () => {} },
      );
      expect(server.fb.loadReport.failed).toEqual([]);
      daemons.push(await prometheus);
      daemons.push(
        await startAlertmanager(
          { url: `${server.url}/webhooks/alertmanager`, bearerToken: TOKEN },
          alertmanagerPort,
        ),
      );

      target.set(1);
      const { incidents } = await waitFor('an incident from Alertmanager', async () => {
        const list = await api<{ incidents: { id: string }[] }>('/api/incidents');
        return list.incidents.length > 0 ? list : null;
      });
      expect(incidents).toHaveLength(1);
      const id = incidents[0]!.id;

      const fired = await waitFor('the runbook to succeed with evidence', async () => {
        const v = await view(id);
        return v.runs[0]?.status === 'succeeded' && v.evidence.length > 0 ? v : null;
      });
      expect(fired.incident).toMatchObject({ source: 'alertmanager', status: 'firing' });
      expect(fired.alerts).toEqual([
        expect.objectContaining({
          status: 'firing',
          labels: expect.objectContaining({
            alertname: 'FirebreakE2EDiskFull',
            mount: '/data',
            severity: 'critical',
            instance: target.address,
          }),
        }),
      ]);
      expect(fired.runs).toEqual([
        expect.objectContaining({ runbookId: 'e2e-disk-full', requestedBy: 'alert:alertmanager' }),
      ]);
      expect(fired.evidence).toEqual([
        expect.objectContaining({
          runId: fired.runs[0]!.id,
          stepKey: 'inspect',
          kind: 'json',
          title: 'Disk full on /data',
          content: { mount: '/data', instance: target.address, summary: 'disk /data is full' },
        }),
      ]);

      target.set(0);
      const resolved = await waitFor('the resolved notification to resolve the incident', async () => {
        const v = await view(id);
        return v.incident.status === 'resolved' ? v : null;
      });
      expect(resolved.alerts.map((a) => a.status)).toEqual(['resolved']);
      const types = resolved.timeline.map((e) => e.type);
      expect(types.slice(0, 2)).toEqual(['incident.opened', 'alert.firing']);
      expect(types).toContain('run.created');
      expect(types.indexOf('alert.resolved')).toBeGreaterThan(types.indexOf('alert.firing'));
      expect(types.indexOf('incident.resolved')).toBeGreaterThan(types.indexOf('alert.resolved'));
      // Still one incident and one run: repeats and the resolution started nothing new.
      const after = await api<{ incidents: unknown[] }>('/api/incidents');
      expect(after.incidents).toHaveLength(1);
      expect(resolved.runs).toHaveLength(1);
    } finally {
      for (const d of daemons.reverse()) await d.stop();
      if (!daemons.length) await (await prometheus.catch(() => null))?.stop();
      await target.close();
      await server?.close();
      await db.drop();
    }
  });
});
