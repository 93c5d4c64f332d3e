// The container image, for real: built by `npm run image` (deploy/image/build.sh) on a base made from
// this machine's node, run read-only (no tmpfs either) as its non-root user on the host network against
// the test database, with its credentials mounted as files (API_TOKENS_FILE, ALERTMANAGER_TOKEN_FILE)
// and runbooks mounted at /runbooks. An Alertmanager webhook starts a run that succeeds; SIGTERM
// stops the container well within its grace period, exit code 0.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { onPostgres, type TestDatabase, testDatabase } from '../support/db.ts';
import { until } from '../support/until.ts';
import { freePort, hostNodeBase, podman, ROOT, script } from './podman.ts';

const TAG = `localhost/firebreak-ci:test-${process.pid}`;
const NAME = `firebreak-ci-${process.pid}`;
const API_TOKEN = 'ci-admin-token-0123456789';
const WEBHOOK_TOKEN = 'ci-alertmanager-token-0123';
const GRACE_S = 20;

let db: TestDatabase;
let secrets: string;
let data: string;
let port: number;
let base: string;
const api = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...init.headers },
  });

beforeAll(async () => {
  base = await hostNodeBase();
  const context = mkdtempSync(join(tmpdir(), 'firebreak-image-'));
  try {
    await script('deploy/image/build.sh', {
      env: { IMAGE: TAG, BASE_IMAGE: base, CONTEXT: context },
      timeoutMs: 600_000,
    });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  db = await testDatabase();
  secrets = mkdtempSync(join(tmpdir(), 'firebreak-secrets-'));
  writeFileSync(join(secrets, 'api-tokens'), `${API_TOKEN}=admin:ci\n`);
  writeFileSync(join(secrets, 'alertmanager-token'), `${WEBHOOK_TOKEN}\n`);
  chmodSync(secrets, 0o755);
  // On PGlite the data lives in a folder of the host, writable by the image's user only.
  data = mkdtempSync(join(tmpdir(), 'firebreak-image-data-'));
  chmodSync(data, 0o777);
  port = await freePort();
}, 900_000);

afterAll(() => {
  podman(['rm', '--force', '--time', '0', NAME], { allowFail: true });
  podman(['rmi', '--force', TAG], { allowFail: true });
  rmSync(secrets, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
  return db?.drop();
});

describe('the firebreak image', () => {
  test('runs read-only as a non-root user: a webhook starts a run that succeeds; SIGTERM stops it', async () => {
    const database = onPostgres
      ? ['-e', `DATABASE_URL=${db.databaseUrl!.replace('localhost', '127.0.0.1')}`]
      : ['-v', `${data}:/data`];
    podman([
      'run',
      '--detach',
      '--name',
      NAME,
      '--network',
      'host',
      '--read-only',
      '--read-only-tmpfs=false',
      '--no-healthcheck',
      ...database,
      '-e',
      `PORT=${port}`,
      '-e',
      'HOST=0.0.0.0',
      '-e',
      'API_TOKENS_FILE=/run/secrets/api-tokens',
      '-e',
      'ALERTMANAGER_TOKEN_FILE=/run/secrets/alertmanager-token',
      '-e',
      'LOG_LEVEL=warn',
      '-v',
      `${secrets}:/run/secrets:ro`,
      '-v',
      `${join(ROOT, 'test/fixtures/runbooks-image')}:/runbooks:ro`,
      TAG,
    ]);
    const logs = () => {
      const r = podman(['logs', NAME], { allowFail: true });
      return r.stdout + r.stderr;
    };

    const inspect = JSON.parse(podman(['inspect', NAME]).stdout)[0] as {
      Config: { User: string };
      HostConfig: { ReadonlyRootfs: boolean };
    };
    expect(inspect.Config.User).toBe('10001:10001');
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(podman(['top', NAME, 'huser', 'args']).stdout).toMatch(
      /10001\s+node \/app\/bin\/firebreak\.js serve/,
    );

    await until(
      async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok ? true : null),
      90_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; container logs:\n${logs()}`);
    });
    expect(logs()).toContain('runbook image-triage');
    // The image's HEALTHCHECK command, run where the runtime runs it.
    expect(podman(['exec', NAME, 'node', '/app/healthcheck.mjs'], { allowFail: true }).status).toBe(0);

    const body = readFileSync(join(ROOT, 'test/fixtures/alertmanager/firing-two-alerts.json'), 'utf8');
    const refused = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(refused.status).toBe(401); // the token from the mounted file is required
    const accepted = await fetch(`http://127.0.0.1:${port}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
      body,
    });
    expect(accepted.status).toBe(202);

    const run = await until(async () => {
      const { runs } = (await (await api('/api/runs?runbook=image-triage')).json()) as {
        runs: { id: string; runbookId: string; status: string }[];
      };
      const r = runs.find((x) => x.runbookId === 'image-triage');
      return r && ['succeeded', 'failed', 'compensated', 'revert_failed'].includes(r.status) ? r : null;
    }, 60_000);
    expect(run.status, logs()).toBe('succeeded');
    const view = (await (await api(`/api/runs/${run.id}`)).json()) as { steps: { output: unknown }[] };
    expect(view.steps[0]?.output).toEqual({ text: 'checkout: triaged inside the container' });

    // podman sends SIGTERM, and SIGKILL once the grace period is over: exit code 0 (not 137) means the
    // process finished its shutdown within it.
    podman(['stop', '--time', String(GRACE_S), NAME], { timeoutMs: (GRACE_S + 30) * 1000 });
    const state = JSON.parse(podman(['inspect', NAME]).stdout)[0].State as { ExitCode: number };
    expect(state.ExitCode, logs()).toBe(0);
    expect(logs()).toContain('SIGTERM: /readyz answers 503; no new runs here');
  }, 300_000);
});
