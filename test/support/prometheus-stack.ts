// Real Prometheus and Alertmanager (Debian's packages) as child processes for the end-to-end test, each
// with its own temp config and data directory, listening on 127.0.0.1 only, tuned to act within seconds.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './private-postgres.ts';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

/** The binaries this machine lacks (empty when the end-to-end test can run). */
export function missingBinaries(): string[] {
  return [PROMETHEUS_BIN, ALERTMANAGER_BIN].filter((b) => !existsSync(b));
}

export interface Daemon {
  url: string;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface AlertRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface WebhookReceiver {
  url: string;
  bearerToken: string;
}

const READY_DEADLINE_MS = 15_000;

// YAML is a superset of JSON, so both configs are written with JSON.stringify: no YAML library, no quoting.
const yaml = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** `port` may be chosen beforehand (freePort), so Prometheus can be told about Alertmanager first. */
export async function startAlertmanager(receiver: WebhookReceiver, port?: number): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-alertmanager-'));
  await writeFile(
    join(dir, 'alertmanager.yml'),
    yaml({
      global: { resolve_timeout: '5s' },
      route: {
        receiver: 'firebreak',
        group_by: ['alertname'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [
        {
          name: 'firebreak',
          webhook_configs: [
            {
              url: receiver.url,
              send_resolved: true,
              http_config: { authorization: { type: 'Bearer', credentials: receiver.bearerToken } },
            },
          ],
        },
      ],
    }),
  );
  const listen = port ?? (await freePort());
  return daemon(dir, listen, ALERTMANAGER_BIN, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${listen}`,
    // An empty address turns gossip clustering off: no extra ports, no waiting to settle.
    '--cluster.listen-address=',
  ]);
}

export async function startPrometheus(opts: {
  /** host:port of the scrape target and of Alertmanager. */
  target: string;
  alertmanager: string;
  rule: AlertRule;
}): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-prometheus-'));
  const rulesFile = join(dir, 'rules.yml');
  await writeFile(
    rulesFile,
    yaml({ groups: [{ name: 'firebreak-e2e', interval: '1s', rules: [{ ...opts.rule, for: '0s' }] }] }),
  );
  await writeFile(
    join(dir, 'prometheus.yml'),
    yaml({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesFile],
      alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager] }] }] },
      scrape_configs: [{ job_name: 'firebreak-e2e', static_configs: [{ targets: [opts.target] }] }],
    }),
  );
  const port = await freePort();
  return daemon(dir, port, PROMETHEUS_BIN, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // Re-send firing alerts every second rather than every minute, so one lost send costs a second.
    '--rules.alert.resend-delay=1s',
  ]);
}

/** Spawns the binary, waits for GET /-/ready, and removes `dir` when stopped. */
export async function daemon(dir: string, port: number, bin: string, args: string[]): Promise<Daemon> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      append(Buffer.from(`spawn failed: ${err.message}\n`));
      resolve();
    });
  });
  const d: Daemon = {
    url,
    output: () => log,
    stop: async () => {
      await stopChild(child, exited);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(url, child, () => log);
  } catch (err) {
    await d.stop();
    throw err;
  }
  return d;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${child.spawnfile} exited before it was ready:\n${log()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.spawnfile} not ready within ${READY_DEADLINE_MS} ms:\n${log()}`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
