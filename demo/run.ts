// npm run demo — the whole loop in under a minute: a bad deploy of a small local "checkout" service
// pages through Alertmanager's webhook, firebreak opens an incident, runs the diagnostics, asks for an
// approval (approve it in the web UI), rolls back, verifies, the alert resolves, the postmortem is drafted.
// Flags: --auto-approve (approve through the API after 3 s), --exit (stop when done), --port <n>.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/config.ts';
import { isTerminalRun, type RunStatus } from '../src/core/status.ts';
import { startServer } from '../src/server.ts';
import { startCheckout } from './checkout-service.ts';

const { values } = parseArgs({
  options: {
    'auto-approve': { type: 'boolean', default: false },
    exit: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.PORT ?? '8080' },
  },
});
const dataDir = fileURLToPath(new URL('../.firebreak-demo', import.meta.url));
rmSync(dataDir, { recursive: true, force: true });

const started = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

const checkout = await startCheckout(0);
const server = await startServer(
  parseConfig({
    PORT: values.port,
    HOST: '127.0.0.1',
    RUNBOOKS_DIR: fileURLToPath(new URL('./runbooks', import.meta.url)),
    FIREBREAK_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    FIREBREAK_POLL_MS: '250',
  }),
  { print: () => {} },
);
say(
  `firebreak on ${server.url}, checkout service on ${checkout.url} (deploy checkout:1.42.0 fails 12% of requests)`,
);

const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const until = async <T>(
  probe: () => Promise<T | null | undefined>,
  what: string,
  timeoutMs = 15 * 60_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

const groupKey = `{}:{alertname="HighErrorRate", service="checkout", demo="${started}"}`;
const notification = (status: 'firing' | 'resolved') => {
  const alert = {
    status,
    labels: { alertname: 'HighErrorRate', service: 'checkout', namespace: 'demo', severity: 'critical' },
    annotations: { summary: 'checkout 5xx ratio 12% after deploy 1.42.0', checkout_url: checkout.url },
    startsAt: new Date(started - 60_000).toISOString(),
    endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.demo/graph',
    fingerprint: 'c0ffee00demo0001',
  };
  return {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'firebreak',
    groupLabels: { alertname: 'HighErrorRate', service: 'checkout' },
    commonLabels: alert.labels,
    commonAnnotations: { summary: alert.annotations.summary },
    externalURL: 'http://alertmanager.demo',
    alerts: [alert],
  };
};

try {
  const fired = await api<{ incidentId: string; runIds: string[] }>(
    'POST',
    '/webhooks/alertmanager',
    notification('firing'),
  );
  const incidentUrl = `${server.url}/incidents/${fired.incidentId}`;
  say('Alertmanager paged: HighErrorRate on checkout');
  say(`incident opened, runbook checkout-rollback started → open ${incidentUrl}`);

  const approval = await until(async () => {
    const { approvals } = await api<{ approvals: { id: string; runId: string }[] }>(
      'GET',
      '/api/approvals?status=pending',
    );
    return approvals.find((a) => a.runId === fired.runIds[0]);
  }, 'the approval request');
  say('diagnostics done (error ratio, last deploy); the rollback waits for an approval');
  if (values['auto-approve']) {
    await new Promise((r) => setTimeout(r, 3000));
    await api('POST', `/api/approvals/${approval.id}/approve`, {});
    say('approved through the API (--auto-approve)');
  } else {
    say(`→ approve it in the web UI: ${incidentUrl}`);
  }

  const run = await until(async () => {
    const view = await api<{ run: { status: RunStatus } }>('GET', `/api/runs/${fired.runIds[0]}`);
    return isTerminalRun(view.run.status) ? view.run : null;
  }, 'the run to finish');
  say(
    `run ${run.status}: checkout is on ${checkout.state().current.image}, 5xx ratio ${(checkout.state().current.errorRatio * 100).toFixed(1)}%`,
  );

  const resolved = await api<{ outcome: string }>('POST', '/webhooks/alertmanager', notification('resolved'));
  say(`Alertmanager sent the resolve: incident ${resolved.outcome}`);
  await until(async () => {
    const res = await fetch(`${server.url}/api/incidents/${fired.incidentId}/postmortem`);
    return res.ok ? true : null;
  }, 'the postmortem');
  say(
    `postmortem draft: ${server.url}/api/incidents/${fired.incidentId}/postmortem (also on the incident page)`,
  );
  say(`the whole loop took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!values.exit) {
    say('firebreak keeps running for you to look around; Ctrl-C stops it.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} finally {
  await server.close();
  await checkout.close();
}
