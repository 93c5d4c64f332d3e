// `firebreak doctor`: what an operator checks first, one line each, ok / warn / fail with the fix.
// It looks from this machine with this environment: the server at FIREBREAK_URL and who the token is
// there, the database (reachable, migrations current, clock skew, who holds a PGlite directory), the
// runbooks, webhook secrets, API tokens and Slack.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { describeError } from '../core/failure.ts';
import type { DbDriver } from '../store/maintenance.ts';
import { JSON_FLAG, parse } from './args.ts';
import { ApiClient } from './client.ts';
import { type Command, EXIT } from './io.ts';
import { printJson } from './print.ts';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Check {
  check: string;
  status: Verdict;
  detail: string;
  fix?: string;
}

const options = { ...JSON_FLAG } as const;

export const doctorCommand = {
  summary:
    'check the server, database, migrations, clock, runbooks, secrets and Slack; each line with its fix',
  usage: 'doctor [--json]',
  group: 'shell',
  options,
  examples: ['firebreak doctor', 'FIREBREAK_URL=https://firebreak.internal firebreak doctor --json'],
  async run(args, { config, io }) {
    const { values } = parse(this, args, 0);
    const checks = [
      ...(await serverChecks(config)),
      ...(await databaseChecks(config)),
      await runbookCheck(config),
      ...secretChecks(config),
    ];
    if (values.json) printJson(io, checks);
    else {
      for (const c of checks) {
        io.out(`${c.status.padEnd(4)}  ${c.check.padEnd(16)} ${c.detail}`);
        if (c.fix && c.status !== 'ok') io.out(`${' '.repeat(23)}→ ${c.fix}`);
      }
    }
    return checks.some((c) => c.status === 'fail') ? EXIT.failed : EXIT.ok;
  },
} satisfies Command & { options: typeof options };

async function serverChecks(config: Config): Promise<Check[]> {
  const url = config.FIREBREAK_URL;
  const api = new ApiClient({ baseUrl: url, token: config.FIREBREAK_TOKEN, timeoutMs: 5_000 });
  let ready: { worker?: string; activeRuns?: number };
  try {
    ready = await api.get('/readyz');
  } catch (err) {
    return [
      {
        check: 'server',
        status: 'warn',
        detail: (err as Error).message.split('. ')[0]!,
        fix: 'start it (firebreak serve, npm start) or set FIREBREAK_URL; commands other than --local need it',
      },
    ];
  }
  const server: Check = {
    check: 'server',
    status: 'ok',
    detail: `${url} is ready (worker ${ready.worker ?? '?'}, ${ready.activeRuns ?? 0} runs executing)`,
  };
  try {
    const me = await api.get<{ identity: string; role: string; via: string; note?: string }>('/api/me');
    const as: Check = {
      check: 'api access',
      status: me.via === 'loopback' ? 'warn' : 'ok',
      detail: `acting as ${me.identity} (${me.role})${me.note ? `: ${me.note}` : ''}`,
    };
    if (me.via === 'loopback') as.fix = 'set API_TOKENS on the server and FIREBREAK_TOKEN here';
    return [server, as];
  } catch (err) {
    return [
      server,
      {
        check: 'api access',
        status: 'fail',
        detail: (err as Error).message,
        fix: "set FIREBREAK_TOKEN to one of the server's API_TOKENS",
      },
    ];
  }
}

async function databaseChecks(config: Config): Promise<Check[]> {
  if (!config.DATABASE_URL) {
    const { readLockHolder, describeHolder } = await import('../db/data-dir-lock.ts');
    const held = readLockHolder(config.FIREBREAK_DATA_DIR);
    if (held && !held.stale) {
      return [
        {
          check: 'lock holder',
          status: 'ok',
          detail: `PGlite in ${config.FIREBREAK_DATA_DIR} is held by ${describeHolder(held.holder)} (its migrations and clock are its own)`,
        },
      ];
    }
    // Opening an empty directory would create a database there: not a doctor's business.
    if (!existsSync(join(config.FIREBREAK_DATA_DIR, 'PG_VERSION'))) {
      return [
        {
          check: 'database',
          status: 'warn',
          detail: `no PGlite database in ${config.FIREBREAK_DATA_DIR} yet`,
          fix: 'firebreak serve (or migrate) creates it; set FIREBREAK_DATA_DIR if it lives elsewhere',
        },
      ];
    }
    const lock: Check = {
      check: 'lock holder',
      status: held ? 'warn' : 'ok',
      detail: held
        ? `stale lock of ${describeHolder(held.holder)} (gone): the next opener takes it over`
        : `no process holds PGlite in ${config.FIREBREAK_DATA_DIR}`,
    };
    return [lock, ...(await openAndCheck(config))];
  }
  return openAndCheck(config);
}

async function openAndCheck(config: Config): Promise<Check[]> {
  const where = config.DATABASE_URL
    ? redactUrl(config.DATABASE_URL)
    : `PGlite in ${config.FIREBREAK_DATA_DIR}`;
  const { connectDatabase, databaseNow } = await import('../store/maintenance.ts');
  let driver: DbDriver;
  try {
    driver = await connectDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.FIREBREAK_DATA_DIR,
      poolSize: 1,
      migrate: false,
    });
  } catch (err) {
    return [
      {
        check: 'database',
        status: 'fail',
        detail: `${where}: ${describeError(err)}`,
        fix: config.DATABASE_URL ? 'check DATABASE_URL and that PostgreSQL runs' : 'check FIREBREAK_DATA_DIR',
      },
    ];
  }
  try {
    const sent = Date.now();
    const now = await databaseNow(driver);
    const received = Date.now();
    const skewMs = now.getTime() - (sent + received) / 2;
    return [
      { check: 'database', status: 'ok', detail: `${where} answers (${received - sent} ms)` },
      await migrationCheck(driver),
      clockCheck(skewMs, received - sent, Boolean(config.DATABASE_URL)),
    ];
  } finally {
    await driver.close();
  }
}

async function migrationCheck(driver: DbDriver): Promise<Check> {
  const journal = JSON.parse(
    readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8'),
  ) as { entries: { tag: string; when: number }[] };
  let applied: number[];
  try {
    const { appliedMigrationStamps } = await import('../store/maintenance.ts');
    applied = await appliedMigrationStamps(driver);
  } catch {
    applied = [];
  }
  const last = Math.max(0, ...applied);
  const pending = journal.entries.filter((e) => e.when > last);
  const newer = last > Math.max(...journal.entries.map((e) => e.when));
  if (newer)
    return {
      check: 'migrations',
      status: 'fail',
      detail:
        'the database has migrations this firebreak does not know: it is older than what wrote the database',
      fix: 'upgrade firebreak here to the version the server runs',
    };
  if (pending.length > 0)
    return {
      check: 'migrations',
      status: 'warn',
      detail:
        pending.length === journal.entries.length
          ? `none of the ${pending.length} applied: an empty database`
          : `${pending.length} of ${journal.entries.length} not applied (${pending.map((e) => e.tag).join(', ')})`,
      fix: 'firebreak migrate (serve and worker also apply them at start)',
    };
  return { check: 'migrations', status: 'ok', detail: `all ${journal.entries.length} applied` };
}

function clockCheck(skewMs: number, rttMs: number, remote: boolean): Check {
  if (!remote) return { check: 'clock skew', status: 'ok', detail: 'PGlite runs in this process: one clock' };
  const abs = Math.abs(skewMs);
  const detail = `this machine is ${Math.round(abs)} ms ${skewMs > 0 ? 'behind' : 'ahead of'} the database (±${Math.ceil(rttMs / 2)} ms)`;
  // Leases, timers and game days compare this clock with the database's.
  if (abs < 2_000) return { check: 'clock skew', status: 'ok', detail };
  return {
    check: 'clock skew',
    status: abs < 30_000 ? 'warn' : 'fail',
    detail,
    fix: 'run NTP (chrony, systemd-timesyncd) here and on the database host',
  };
}

async function runbookCheck(config: Config): Promise<Check> {
  const { loadRunbooks } = await import('../runbooks/loader.ts');
  const report = await loadRunbooks(config.RUNBOOKS_DIR);
  if (report.failed.length > 0) {
    return {
      check: 'runbooks',
      status: 'fail',
      detail: `${report.failed.length} file(s) in ${config.RUNBOOKS_DIR} do not load: ${report.failed.map((f) => `${f.path}: ${f.reason}`).join('; ')}`,
      fix: 'firebreak runbooks validate',
    };
  }
  if (report.loaded.length === 0) {
    return {
      check: 'runbooks',
      status: 'warn',
      detail: `no runbook in ${config.RUNBOOKS_DIR}`,
      fix: 'set RUNBOOKS_DIR to the folder with your runbooks',
    };
  }
  return {
    check: 'runbooks',
    status: 'ok',
    detail: `${report.loaded.length} load from ${config.RUNBOOKS_DIR}`,
  };
}

function secretChecks(config: Config): Check[] {
  const sources: [string, boolean, string][] = [
    ['alertmanager', Boolean(config.ALERTMANAGER_TOKEN), 'ALERTMANAGER_TOKEN'],
    ['grafana', Boolean(config.GRAFANA_HMAC_SECRET || config.GRAFANA_TOKEN), 'GRAFANA_HMAC_SECRET'],
    ['pagerduty', Boolean(config.PAGERDUTY_WEBHOOK_SECRETS?.length), 'PAGERDUTY_WEBHOOK_SECRETS'],
    ['datadog', Boolean(config.DATADOG_TOKEN), 'DATADOG_TOKEN'],
    ['generic', Boolean(config.GENERIC_TOKEN), 'GENERIC_TOKEN'],
  ];
  const missing = sources.filter(([, set]) => !set);
  const webhooks: Check =
    missing.length === 0
      ? { check: 'webhook secrets', status: 'ok', detail: 'every source has a secret' }
      : {
          check: 'webhook secrets',
          status: 'warn',
          detail: `${missing.map(([s]) => s).join(', ')}: no secret, so only loopback senders are accepted`,
          fix: `set ${missing.map(([, , v]) => v).join(', ')}`,
        };
  const tokens: Check = config.API_TOKENS?.length
    ? { check: 'api tokens', status: 'ok', detail: `${config.API_TOKENS.length} configured` }
    : {
        check: 'api tokens',
        status: 'warn',
        detail:
          'none: the API and UI answer loopback callers only, each an unauthenticated admin for whom group gates are not enforced',
        fix: 'set API_TOKENS=token=role:identity,…',
      };
  const slack: Check = config.SLACK_BOT_TOKEN
    ? {
        check: 'slack',
        status: 'ok',
        detail: `incidents to ${config.SLACK_INCIDENT_CHANNEL} through ${config.SLACK_API_URL}`,
      }
    : {
        check: 'slack',
        status: 'warn',
        detail: 'not configured: gates are decided in the web UI, the API or the CLI only',
        fix: 'set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_INCIDENT_CHANNEL',
      };
  return [webhooks, tokens, slack];
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}
