// The npm package as a team adopting firebreak gets it: packed, installed from the tarball into an empty
// folder, `npx firebreak init`, type-checked with plain tsc (the template's strict tsconfig, no special
// flags), its tests run with vitest, `firebreak runbooks validate`, then `serve` from the installed
// package with plain node, and the example runbook run through an Alertmanager webhook.
// npm installs from its local cache first (--prefer-offline): the repository's own `npm ci` filled it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../support/until.ts';
import { ROOT } from './podman.ts';

const work = mkdtempSync(join(tmpdir(), 'firebreak-package-'));
const app = join(work, 'team-runbooks');
let tarball: string;
let serve: ChildProcess | undefined;

/** Runs a command in the app folder with a clean environment (no DATABASE_URL, no vitest variables). */
function run(cmd: string, args: string[], cwd = app) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_cache: process.env.npm_config_cache },
  });
  return { status: r.status, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}

const npm = (...args: string[]) => run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund']);

beforeAll(() => {
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  expect(packed.status, packed.output).toBe(0);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, info!.filename);
  files = info!.files.map((f) => f.path);
  mkdirSync(app);
}, 120_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGKILL');
    await new Promise((r) => serve!.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
});

let files: string[] = [];

describe('the published package', () => {
  test('ships dist, drizzle, bin, docs, README and LICENSE only, with a built runbook snapshot', () => {
    const tops = [...new Set(files.map((f) => f.split('/')[0]))].sort();
    expect(tops).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'docs', 'drizzle', 'package.json']);
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/testing/index.js');
    expect(files).toContain('dist/pglite/migrated.tar.br');
    expect(files).toContain('dist/templates/init/runbooks/example.ts');
    expect(
      files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('templates/')),
    ).toEqual([]);
  });

  test('installs into an empty folder; plain node imports it; init, tsc, tests, validate and serve work', async () => {
    const installed = npm('install', tarball);
    expect(installed.status, installed.output).toBe(0);
    // TypeScript tooling is not a runtime dependency any more.
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
    const plain = run('node', [
      '--input-type=module',
      '-e',
      "import { runbook, z } from 'firebreak'; import { testRunbook } from 'firebreak/testing';" +
        'console.log(typeof runbook, typeof z.object, typeof testRunbook);',
    ]);
    expect(plain.output.trim()).toBe('function function function');

    const init = run('npx', ['firebreak', 'init']);
    expect(init.status, init.output).toBe(0);
    for (const f of [
      'runbooks/example.ts',
      'test/example.test.ts',
      'tsconfig.json',
      '.github/workflows/ci.yml',
      'Containerfile',
      'README.md',
      '.gitignore',
      'vitest.config.ts',
    ]) {
      expect(existsSync(join(app, f)), f).toBe(true);
    }
    const devDeps = npm('install');
    expect(devDeps.status, devDeps.output).toBe(0);

    const tsc = run(join(app, 'node_modules/.bin/tsc'), ['--noEmit', '-p', 'tsconfig.json']);
    expect(tsc.status, tsc.output).toBe(0);
    const tests = run(join(app, 'node_modules/.bin/vitest'), ['run']);
    expect(tests.status, tests.output).toBe(0);
    expect(tests.output).toMatch(/Tests\s+.*3 passed/);
    const validate = run('npx', ['firebreak', 'runbooks', 'validate']);
    expect(validate.status, validate.output).toBe(0);
    expect(validate.output).toContain(`ok      service-down (${join(app, 'runbooks/example.ts')})`);

    // serve from the installed package with plain node; the example runbook through a webhook.
    serve = spawn(process.execPath, [join(app, 'node_modules/firebreak/bin/firebreak.js'), 'serve'], {
      cwd: app,
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    serve.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const base = await until(async () => /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? null, 60_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}; serve printed:\n${out}`);
      },
    );
    // The lines after "listening on" (the runbooks loaded) may arrive in a later chunk.
    await until(async () => (out.includes('runbook service-down') ? true : null), 10_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}; serve printed:\n${out}`);
      },
    );
    const alert = {
      version: '4',
      status: 'firing',
      receiver: 'firebreak',
      groupKey: '{}:{alertname="ServiceDown"}',
      groupLabels: { alertname: 'ServiceDown' },
      commonLabels: { alertname: 'ServiceDown', service: 'checkout' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      truncatedAlerts: 0,
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'ServiceDown', service: 'checkout' },
          annotations: {},
          startsAt: '2026-01-01T00:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus:9090/graph',
          fingerprint: '0123456789abcdef',
        },
      ],
    };
    const res = await fetch(`${base}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const finished = await until(async () => {
      const { runs } = (await (await fetch(`${base}/api/runs?runbook=service-down`)).json()) as {
        runs: { status: string }[];
      };
      const r = runs[0];
      return r && !['queued', 'running', 'waiting'].includes(r.status) ? r : null;
    }, 60_000);
    expect(finished.status, out).toBe('succeeded');

    serve.kill('SIGTERM');
    const code = await new Promise((r) => serve!.once('exit', r));
    expect(code, out).toBe(0);
  }, 600_000);
});
