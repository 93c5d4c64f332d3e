// Configuration comes from the environment, parsed once at start with zod and passed down. No other
// module reads process.env. A bad value stops the start with a message naming the variable.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AlertSource } from '../core/alert.ts';
import { parseDuration } from '../core/duration.ts';
import { ValidationError } from '../core/errors.ts';
import { Identities, type IdentityEntry, parseIdentities } from './identities.ts';
import { type KnownHost, parseKnownHosts } from './known-hosts.ts';
import { type SshSettings, sshSecrets } from './ssh.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const duration = z.string().refine((v) => {
  try {
    parseDuration(v);
    return true;
  } catch {
    return false;
  }
}, 'must be a duration such as 30s, 10m, 1h');

/** `a, b,c` → ['a', 'b', 'c']: empty entries dropped. */
const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** `alertname, service` → ['alertname', 'service']: label names for grouping keys, at least one. */
const labelNames = z
  .string()
  .pipe(
    commaList.pipe(
      z
        .array(z.string().regex(/^[^\s,="{}]+$/, 'a label name has no spaces, commas, =, " or braces'))
        .min(1, 'name at least one label'),
    ),
  );

/**
 * Marks a variable as a credential. Every credential may also come from a file: `<NAME>_FILE` holds a
 * path whose content is the value (a Kubernetes or Docker secret mounted as a file), so it never sits
 * in the process environment, `ps e` or a manifest. Mark a new credential variable with this (or build
 * it on `secret`) and its `_FILE` form exists; see `credentialVariables` and `readCredentialFiles`.
 */
function credential<T extends z.ZodType>(schema: T): T {
  return schema.meta({ credential: true }) as T;
}

const secret = credential(z.string().min(8, 'must be at least 8 characters'));

/** Not a secret, but long enough to keep in a file (known_hosts): it gets the `<NAME>_FILE` form too. */
function fromFile<T extends z.ZodType>(schema: T): T {
  return schema.meta({ file: true }) as T;
}

export const roles = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface ApiToken {
  token: string;
  role: Role;
  identity: string;
}

const apiTokens = credential(z.string()).transform((v, ctx): ApiToken[] => {
  const out: ApiToken[] = [];
  for (const part of v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([^=]{8,})=(viewer|operator|approver|admin)(?::(.+))?$/.exec(part);
    if (!m) {
      ctx.addIssue({
        code: 'custom',
        message:
          'each entry must be token=role[:identity], token ≥ 8 characters, role viewer|operator|approver|admin',
      });
      return z.NEVER;
    }
    out.push({ token: m[1]!, role: m[2] as Role, identity: m[3] ?? `${m[2]}-token-${out.length + 1}` });
  }
  return out;
});

/** The OTLP headers format: comma-separated `key=value`, values percent-encoded. */
function otlpHeaders(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

export const configSchema = z.object({
  /** A credential too: it usually carries the database password. */
  DATABASE_URL: credential(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')).optional(),
  FIREBREAK_DATA_DIR: z.string().min(1).default('./.firebreak'),
  RUNBOOKS_DIR: z.string().min(1).default('./runbooks'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Loopback by default: with no API_TOKENS, binding anything else needs FIREBREAK_ALLOW_UNAUTHENTICATED. */
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  FIREBREAK_WORKER_ID: z.string().min(1).optional(),
  FIREBREAK_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).default(200),
  FIREBREAK_LEASE_MS: z.coerce.number().int().min(500).default(3000),
  FIREBREAK_POLL_MS: z.coerce.number().int().min(50).default(1000),
  FIREBREAK_DB_POOL: z.coerce.number().int().min(1).max(100).default(10),
  FIREBREAK_MIGRATE: bool.default(true),
  /** A re-fire within this long after an incident resolved reopens it instead of opening a new one. */
  FLAP_WINDOW: duration.default('10m'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Webhook credentials; a source with none configured accepts requests from loopback only. */
  ALERTMANAGER_TOKEN: secret.optional(),
  GRAFANA_TOKEN: secret.optional(),
  GRAFANA_HMAC_SECRET: secret.optional(),
  /** Header carrying the unix timestamp when Grafana's signature covers "<ts>:<body>". */
  GRAFANA_TIMESTAMP_HEADER: z.string().min(1).optional(),
  /** Comma-separated: several during a secret rotation; each at least 8 characters. */
  PAGERDUTY_WEBHOOK_SECRETS: credential(z.string())
    .pipe(commaList.refine((l) => l.every((s) => s.length >= 8), 'each secret must be at least 8 characters'))
    .optional(),
  DATADOG_TOKEN: secret.optional(),
  GENERIC_TOKEN: secret.optional(),
  /** Grouping keys: the labels that make one incident, for every source (default: the sender's group). */
  GROUP_BY: labelNames.optional(),
  /** …or for one source, over GROUP_BY (see groupByOf). */
  GROUP_BY_ALERTMANAGER: labelNames.optional(),
  GROUP_BY_GRAFANA: labelNames.optional(),
  GROUP_BY_PAGERDUTY: labelNames.optional(),
  GROUP_BY_DATADOG: labelNames.optional(),
  GROUP_BY_GENERIC: labelNames.optional(),
  GROUP_BY_KUBERNETES: labelNames.optional(),
  /** `group=member|member;…`: who belongs to the approver groups that policies name. */
  APPROVER_GROUPS: z
    .string()
    .transform(
      (v) =>
        Object.fromEntries(
          v
            .split(';')
            .map((g) => g.trim())
            .filter(Boolean)
            .map((g) => {
              const [name, members = ''] = g.split('=');
              return [
                name!.trim(),
                members
                  .split('|')
                  .map((m) => m.trim())
                  .filter(Boolean),
              ];
            }),
        ) as Record<string, string[]>,
    )
    .optional(),
  /** `token=role[:identity],…` with role viewer, operator, approver or admin. None: loopback only. */
  API_TOKENS: apiTokens.optional(),
  /** Slack is on when the bot token is set; it then needs the signing secret and the incident channel. */
  SLACK_BOT_TOKEN: credential(z.string().regex(/^xox[a-z]-/, 'must be a Slack token (xoxb-…)')).optional(),
  SLACK_SIGNING_SECRET: secret.optional(),
  /** The Web API base URL (tests point it at a local fake Slack). */
  SLACK_API_URL: z.url().default('https://slack.com/api/'),
  /** Channel id for incident messages, run threads and approval requests. */
  SLACK_INCIDENT_CHANNEL: z.string().min(1).optional(),
  /** Channel id for drill incidents (game days); default the incident channel. */
  SLACK_DRILL_CHANNEL: z.string().min(1).optional(),
  /** Comma-separated Slack user ids or approver group names that may `/firebreak run|pause|resume`. */
  SLACK_OPERATORS: commaList.optional(),
  /** Outgoing Slack messages: attempts before one is given up, and the first retry delay (doubling). */
  SLACK_RETRY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(8),
  SLACK_RETRY_INITIAL_DELAY: duration.default('1s'),
  // ── Write-back to PagerDuty and Grafana (issue 15; src/integrations/writeback) ──
  /** PagerDuty REST API key: acknowledge the pages runs handle, notes, resolve. Needs PAGERDUTY_FROM_EMAIL. */
  PAGERDUTY_API_TOKEN: secret.optional(),
  /** The email of the PagerDuty user the writes are recorded as (the `From` header). */
  PAGERDUTY_FROM_EMAIL: z.email().optional(),
  /** The REST API base URL (tests point it at a local fake). */
  PAGERDUTY_API_URL: z.url().default('https://api.pagerduty.com'),
  /** `verified`: resolve the PagerDuty incident when a run succeeded and its mitigations' verify passed. */
  PAGERDUTY_RESOLVE: z.enum(['never', 'verified']).default('never'),
  /** Grafana's URL and a service account token: incidents and mitigations as annotations. */
  GRAFANA_URL: z.url().optional(),
  GRAFANA_API_TOKEN: secret.optional(),
  /** Annotations on this dashboard only; unset: organization annotations, shown by their tags. */
  GRAFANA_DASHBOARD_UID: z.string().min(1).optional(),
  /** When set, GET /metrics requires `Authorization: Bearer <token>`; unset, it is open like /healthz. */
  METRICS_TOKEN: secret.optional(),
  /** `firebreak worker` has no HTTP server: it serves GET /metrics on this port when set. */
  FIREBREAK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  // ── Alertmanager silences (issue 15; docs/authoring.md "Silencing alerts") ──
  /**
   * Alertmanager's API, where "Silence this alert for 1h" creates silences. Only this URL is ever called:
   * the `externalURL` a webhook carries is not, or whoever can post a webhook would choose the target.
   */
  ALERTMANAGER_URL: z
    .url()
    .refine((v) => /^https?:\/\//i.test(v), 'must be an http(s) URL')
    .optional(),
  /** Bearer token, or basic auth (user + password), when a proxy in front of Alertmanager asks. */
  ALERTMANAGER_API_TOKEN: secret.optional(),
  ALERTMANAGER_API_USER: z.string().min(1).optional(),
  ALERTMANAGER_API_PASSWORD: secret.optional(),
  /** Approver groups of the silence gate; none: the approver role decides, as for any gate naming nobody. */
  ALERTMANAGER_SILENCE_GROUPS: commaList.optional(),
  // ── Exposure, identities and limits (issue 9; docs/security.md) ──
  /**
   * The URL people open firebreak at (https://firebreak.example.com). Its host is answered besides the
   * loopback names when no API tokens are set, and its origin is the one the UI accepts forms from.
   */
  PUBLIC_URL: z
    .url()
    .refine((v) => /^https?:\/\//i.test(v), 'must be an http(s) URL')
    .optional(),
  /** Serve without API_TOKENS on a non-loopback HOST: every caller that reaches it is admin. */
  FIREBREAK_ALLOW_UNAUTHENTICATED: bool.default(false),
  /**
   * `alice=slack:U123,token:alice-laptop,role:approver;bob=…`: one identity per person across surfaces,
   * so four-eyes and quorum count people, and a Slack user gets a role (docs/security.md).
   */
  IDENTITIES: z
    .string()
    .transform((v, ctx): IdentityEntry[] => {
      try {
        return parseIdentities(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** Open connections at once; more are refused until some close. */
  FIREBREAK_MAX_CONNECTIONS: z.coerce.number().int().min(16).default(1024),
  /** Tracing is off unless one of these is set: OTLP/HTTP, `<endpoint>/v1/traces` or the traces URL as is. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /** `key=value,…` sent with every export (an API key, say); values are treated as secrets. */
  OTEL_EXPORTER_OTLP_HEADERS: credential(z.string()).transform(otlpHeaders).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('firebreak'),
  /** true turns tracing off even with an endpoint configured. */
  OTEL_SDK_DISABLED: bool.default(false),

  // ---- the CLI as a client of a running server (issue 10) ----
  /** The server the CLI talks to. */
  FIREBREAK_URL: z.url().default('http://127.0.0.1:8080'),
  /** Sent by the CLI as `Authorization: Bearer …`: one of the server's API_TOKENS; it acts as its identity. */
  FIREBREAK_TOKEN: credential(z.string().min(1)).optional(),

  // ---- Resilience, connection pooling and retention ----
  /** `serve` claims and executes runs itself; false leaves them all to `firebreak worker` processes. */
  FIREBREAK_WORK: bool.default(true),
  /**
   * A direct connection (not through a transaction pooler) for LISTEN and migrations; `none` listens on
   * nothing and the engine polls. Default: DATABASE_URL.
   */
  FIREBREAK_LISTEN_URL: credential(
    z.string().regex(/^(none|postgres(ql)?:\/\/.*)$/, 'must be a postgres:// URL or none'),
  ).optional(),
  /**
   * What stands between firebreak and PostgreSQL: nothing or a pooler in session mode (`session`), or a
   * pooler in transaction mode such as PgBouncer's `pool_mode = transaction` (`transaction`: no prepared
   * statements, one statement at a time per pooled connection; set FIREBREAK_LISTEN_URL too).
   */
  FIREBREAK_DB_POOL_MODE: z.enum(['session', 'transaction']).default('session'),
  /** How long a start retries an unreachable database (pool, migrations, LISTEN) before exiting 1. */
  FIREBREAK_DB_STARTUP_TIMEOUT: duration.default('60s'),
  /** After SIGTERM: how long running steps may take to reach a commit before leases are released. */
  FIREBREAK_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  /**
   * Finished runs with their steps, attempts, journal and evidence, resolved incidents with their
   * timelines, old or replayed dead letters and sent Slack messages are deleted after this; `off` keeps
   * everything.
   */
  FIREBREAK_RETENTION: z.union([z.literal('off'), duration]).default('90d'),
  /** The audit part (approvals and decisions, mitigations applied and reverted) is kept this long. */
  FIREBREAK_AUDIT_RETENTION: duration.default('400d'),
  /** How often a replica looks for history to prune (one replica prunes at a time). */
  FIREBREAK_PRUNE_INTERVAL: duration.default('1h'),

  // ---- Commands on hosts: steps' ctx.ssh (docs/authoring.md, "Commands on hosts") ----
  /** known_hosts lines (as ssh-keyscan prints them): the only host keys ctx.ssh accepts. */
  SSH_KNOWN_HOSTS: fromFile(z.string())
    .transform((v, ctx): KnownHost[] => {
      try {
        return parseKnownHosts(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** The login user when a call names none. */
  SSH_USER: z.string().min(1).optional(),
  /** A private key (OpenSSH or PEM), and its passphrase when it is encrypted. */
  SSH_PRIVATE_KEY: credential(
    z
      .string()
      .regex(
        /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
        'must be a private key (-----BEGIN … PRIVATE KEY-----)',
      ),
  ).optional(),
  SSH_PRIVATE_KEY_PASSPHRASE: credential(z.string().min(1)).optional(),
  /** An ssh-agent's socket: its keys are offered after SSH_PRIVATE_KEY. */
  SSH_AUTH_SOCK: z.string().min(1).optional(),
  SSH_CONNECT_TIMEOUT: duration.default('10s'),
  /** A command's default timeout: its channel is killed and the attempt fails (and is retried). */
  SSH_COMMAND_TIMEOUT: duration.default('60s'),
  // ---- Kubernetes as an alert source (issue 15; docs/kubernetes.md) ----
  /** Watch Pods, Nodes and Deployments and turn their bad states into alerts (one replica at a time). */
  FIREBREAK_KUBERNETES_WATCH: bool.default(false),
  /** Comma-separated namespaces to watch Pods and Deployments in; unset: every namespace. */
  FIREBREAK_KUBERNETES_NAMESPACES: commaList.optional(),
  /**
   * The API server (also the example runbooks'; runbooks/lib/endpoints.ts). Unset: the pod's own
   * cluster as its service account, else `kubectl proxy`. Checked here only when the watch is on.
   */
  KUBERNETES_API_URL: z.string().optional(),
  /** Its bearer token (or KUBERNETES_TOKEN_FILE); in a pod without it, the service account's. */
  KUBERNETES_TOKEN: credential(z.string().min(1)).optional(),
  KUBERNETES_CA_FILE: z.string().optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  KUBERNETES_SERVICE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  KUBERNETES_SERVICE_ACCOUNT_DIR: z.string().optional(),
});

export type Config = z.output<typeof configSchema> & {
  /**
   * The whole environment as it was parsed: runbooks read their own credentials from it (`secrets` on a
   * runbook, `ctx.secret`), and every variable named like a credential is redacted (secretsOf).
   */
  readonly environment: Readonly<Record<string, string>>;
};

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as shells and .env files write them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const files = readCredentialFiles(cleaned);
  const parsed = configSchema.safeParse(files.env);
  const problems = [
    ...files.issues,
    ...(parsed.success
      ? [
          ...slackProblems(parsed.data),
          ...retentionProblems(parsed.data),
          ...kubernetesProblems(parsed.data),
          ...writebackProblems(parsed.data),
          ...alertmanagerProblems(parsed.data),
        ]
      : parsed.error.issues),
  ];
  if (parsed.success && problems.length === 0) {
    const environment = Object.fromEntries(
      Object.entries(files.env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
    );
    return { ...parsed.data, environment };
  }
  const lines = problems.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ValidationError(`invalid configuration:\n  ${lines.join('\n  ')}`, { issues: problems });
}

/** The variables marked `credential` in the schema: each has a `<NAME>_FILE` form. */
export const credentialVariables: readonly string[] = Object.entries(configSchema.shape)
  .filter(([, schema]) => marked(schema, 'credential'))
  .map(([name]) => name);

/** The credentials and the other variables marked `fromFile`: each has a `<NAME>_FILE` form. */
const fileVariables: readonly string[] = Object.entries(configSchema.shape)
  .filter(([, schema]) => marked(schema, 'credential') || marked(schema, 'file'))
  .map(([name]) => name);

function marked(schema: z.core.$ZodType, key: 'credential' | 'file'): boolean {
  if (z.globalRegistry.get(schema as z.ZodType)?.[key] === true) return true;
  const def = schema._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
  const inner = def.innerType ?? def.in;
  return inner ? marked(inner, key) : false;
}

/**
 * Replaces each `<NAME>_FILE` of a credential by `<NAME>` with the file's content (a trailing newline,
 * as `echo` and editors leave, is dropped). Setting both is refused: which one would win is a guess.
 */
export function readCredentialFiles(env: Record<string, string | undefined>): {
  env: Record<string, string | undefined>;
  issues: { path: string[]; message: string }[];
} {
  const out = { ...env };
  const issues: { path: string[]; message: string }[] = [];
  for (const name of fileVariables) {
    const path = env[`${name}_FILE`];
    if (path === undefined) continue;
    delete out[`${name}_FILE`];
    if (env[name] !== undefined) {
      issues.push({ path: [`${name}_FILE`], message: `set ${name} or ${name}_FILE, not both` });
      continue;
    }
    try {
      out[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      issues.push({ path: [`${name}_FILE`], message: `cannot read ${path}: ${(err as Error).message}` });
      continue;
    }
    if (out[name] === '') delete out[name];
  }
  return { env: out, issues };
}

/** Slack settings come as a set: a bot token without its signing secret or channel is a mistake. */
function slackProblems(c: z.output<typeof configSchema>): { path: string[]; message: string }[] {
  if (!c.SLACK_BOT_TOKEN) return [];
  const missing = (['SLACK_SIGNING_SECRET', 'SLACK_INCIDENT_CHANNEL'] as const).filter((k) => !c[k]);
  return missing.map((k) => ({ path: [k], message: 'required when SLACK_BOT_TOKEN is set' }));
}

/** Write-back settings come in pairs: a key without its From email (or URL without token) is a mistake. */
function writebackProblems(c: z.output<typeof configSchema>): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  if (c.PAGERDUTY_API_TOKEN && !c.PAGERDUTY_FROM_EMAIL)
    problems.push({ path: ['PAGERDUTY_FROM_EMAIL'], message: 'required when PAGERDUTY_API_TOKEN is set' });
  if (c.GRAFANA_API_TOKEN && !c.GRAFANA_URL)
    problems.push({ path: ['GRAFANA_URL'], message: 'required when GRAFANA_API_TOKEN is set' });
  if (c.GRAFANA_URL && !c.GRAFANA_API_TOKEN)
    problems.push({ path: ['GRAFANA_API_TOKEN'], message: 'required when GRAFANA_URL is set' });
  return problems;
}

/**
 * With ALERTMANAGER_URL set, one way to authenticate to it: a user without its password (or the reverse),
 * or a token beside them, is a mistake.
 */
function alertmanagerProblems(c: z.output<typeof configSchema>): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  if (!c.ALERTMANAGER_URL) return problems;
  if (Boolean(c.ALERTMANAGER_API_USER) !== Boolean(c.ALERTMANAGER_API_PASSWORD))
    problems.push({
      path: ['ALERTMANAGER_API_PASSWORD'],
      message: 'set with ALERTMANAGER_API_USER (basic auth)',
    });
  if (c.ALERTMANAGER_API_TOKEN && c.ALERTMANAGER_API_PASSWORD)
    problems.push({
      path: ['ALERTMANAGER_API_TOKEN'],
      message: 'set a token or a user and password, not both',
    });
  return problems;
}

/**
 * What the configuration alone says firebreak opens with: database, runbooks folder, secrets, engine.
 * firebreakOptionsOf (src/firebreak.ts) adds firebreak's own runbooks; opening only the database
 * (`serve`'s early start, export, migrate) needs no more than this.
 */
export function configOptionsOf(config: Config) {
  return {
    databaseUrl: config.DATABASE_URL,
    dataDir: config.FIREBREAK_DATA_DIR,
    poolSize: config.FIREBREAK_DB_POOL,
    listenUrl: config.FIREBREAK_LISTEN_URL,
    poolMode: config.FIREBREAK_DB_POOL_MODE,
    startupTimeoutMs: parseDuration(config.FIREBREAK_DB_STARTUP_TIMEOUT),
    runbooksDir: config.RUNBOOKS_DIR,
    migrate: config.FIREBREAK_MIGRATE,
    work: config.FIREBREAK_WORK,
    // Workers write step outputs and evidence too: the configured secrets are redacted there as in serve.
    secrets: secretsOf(config),
    env: config.environment,
    ssh: sshSettingsOf(config),
    engine: {
      ...(config.FIREBREAK_WORKER_ID ? { workerId: config.FIREBREAK_WORKER_ID } : {}),
      maxConcurrentRuns: config.FIREBREAK_MAX_CONCURRENT_RUNS,
      leaseMs: config.FIREBREAK_LEASE_MS,
      heartbeatMs: Math.max(100, Math.floor(config.FIREBREAK_LEASE_MS / 3)),
      pollIntervalMs: config.FIREBREAK_POLL_MS,
    },
  };
}

/** Label names per source; a source without an entry keeps the sender's group key (src/ingest/group-by.ts). */
export type GroupBy = Partial<Record<AlertSource, readonly string[]>>;

/** Grouping keys per source: GROUP_BY_<SOURCE> where set, else GROUP_BY, else the sender's group key. */
export function groupByOf(config: Config): GroupBy {
  const perSource: Record<AlertSource, string[] | undefined> = {
    alertmanager: config.GROUP_BY_ALERTMANAGER,
    grafana: config.GROUP_BY_GRAFANA,
    pagerduty: config.GROUP_BY_PAGERDUTY,
    datadog: config.GROUP_BY_DATADOG,
    generic: config.GROUP_BY_GENERIC,
    kubernetes: config.GROUP_BY_KUBERNETES,
  };
  const out: GroupBy = {};
  for (const [source, names] of Object.entries(perSource) as [AlertSource, string[] | undefined][]) {
    const chosen = names ?? config.GROUP_BY;
    if (chosen) out[source] = chosen;
  }
  return out;
}

/** The audit trail is part of history: keeping it for less than the rest would be a mistake. */
function retentionProblems(c: z.output<typeof configSchema>): { path: string[]; message: string }[] {
  if (c.FIREBREAK_RETENTION === 'off') return [];
  if (parseDuration(c.FIREBREAK_AUDIT_RETENTION) >= parseDuration(c.FIREBREAK_RETENTION)) return [];
  return [{ path: ['FIREBREAK_AUDIT_RETENTION'], message: 'must not be shorter than FIREBREAK_RETENTION' }];
}

/** What the pruner keeps and how often it looks; null when FIREBREAK_RETENTION is off. */
export function retentionOf(config: Config) {
  if (config.FIREBREAK_RETENTION === 'off') return null;
  return {
    retentionMs: parseDuration(config.FIREBREAK_RETENTION),
    auditRetentionMs: parseDuration(config.FIREBREAK_AUDIT_RETENTION),
    intervalMs: parseDuration(config.FIREBREAK_PRUNE_INTERVAL),
  };
}

/** Variables whose values are credentials by their name (KUBERNETES_TOKEN, DB_ADMIN_PASSWORD, …). */
export const SECRET_NAME = /_(TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|KEY|CREDENTIALS)$/;

/**
 * Every secret value firebreak knows of at start, so it can be redacted wherever it would otherwise be
 * written: the configured ones, the DATABASE_URL password, and every variable named like a credential.
 */
export function secretsOf(config: Config): string[] {
  const named = Object.entries(config.environment ?? {})
    .filter(([k]) => SECRET_NAME.test(k))
    .flatMap(([, v]) => [v, ...v.split(',').map((p) => p.trim())]);
  return [
    ...databasePassword(config.DATABASE_URL),
    ...databasePassword(config.FIREBREAK_LISTEN_URL),
    ...named,
    config.ALERTMANAGER_TOKEN,
    config.GRAFANA_TOKEN,
    config.GRAFANA_HMAC_SECRET,
    config.DATADOG_TOKEN,
    config.GENERIC_TOKEN,
    config.SLACK_BOT_TOKEN,
    config.SLACK_SIGNING_SECRET,
    config.PAGERDUTY_API_TOKEN,
    config.GRAFANA_API_TOKEN,
    ...(config.PAGERDUTY_WEBHOOK_SECRETS ?? []),
    ...(config.API_TOKENS ?? []).map((t) => t.token),
    config.METRICS_TOKEN,
    config.ALERTMANAGER_API_TOKEN,
    config.ALERTMANAGER_API_PASSWORD,
    // The pair too: base64 of `user:password` would otherwise keep the password's first characters.
    config.ALERTMANAGER_API_PASSWORD &&
      `${config.ALERTMANAGER_API_USER ?? ''}:${config.ALERTMANAGER_API_PASSWORD}`,
    ...Object.values(config.OTEL_EXPORTER_OTLP_HEADERS ?? {}),
    config.FIREBREAK_TOKEN,
    ...sshSecrets({ privateKey: config.SSH_PRIVATE_KEY, passphrase: config.SSH_PRIVATE_KEY_PASSPHRASE }),
    config.KUBERNETES_TOKEN,
  ].filter((s): s is string => Boolean(s));
}

/** How steps' `ctx.ssh` reaches hosts. */
export function sshSettingsOf(config: Config): SshSettings {
  return {
    knownHosts: config.SSH_KNOWN_HOSTS ?? [],
    user: config.SSH_USER,
    privateKey: config.SSH_PRIVATE_KEY,
    passphrase: config.SSH_PRIVATE_KEY_PASSPHRASE,
    agent: config.SSH_AUTH_SOCK,
    connectTimeoutMs: parseDuration(config.SSH_CONNECT_TIMEOUT),
    commandTimeoutMs: parseDuration(config.SSH_COMMAND_TIMEOUT),
  };
}

/** The password of a postgres:// URL, as written (percent-encoded) and decoded. */
function databasePassword(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const raw = new URL(url).password;
    return raw ? [raw, decodeURIComponent(raw)] : [];
  } catch {
    return [];
  }
}

/** A bad KUBERNETES_API_URL stops the start only when firebreak itself watches (runbooks check their own). */
function kubernetesProblems(c: z.output<typeof configSchema>): { path: string[]; message: string }[] {
  if (!c.FIREBREAK_KUBERNETES_WATCH || c.KUBERNETES_API_URL === undefined) return [];
  return z.url({ protocol: /^https?$/ }).safeParse(c.KUBERNETES_API_URL).success
    ? []
    : [{ path: ['KUBERNETES_API_URL'], message: 'must be an http(s) URL' }];
}

/** The Kubernetes watch's settings; null when FIREBREAK_KUBERNETES_WATCH is off. */
export function kubernetesWatchOf(config: Config) {
  if (!config.FIREBREAK_KUBERNETES_WATCH) return null;
  return {
    namespaces: config.FIREBREAK_KUBERNETES_NAMESPACES ?? [],
    // KUBERNETES_TOKEN_FILE has been read into KUBERNETES_TOKEN at start (like every *_FILE); the pod's
    // service-account token file is read at every connection, so its rotation is picked up.
    settings: {
      apiUrl: config.KUBERNETES_API_URL,
      token: config.KUBERNETES_TOKEN,
      caFile: config.KUBERNETES_CA_FILE,
      serviceHost: config.KUBERNETES_SERVICE_HOST,
      servicePort: config.KUBERNETES_SERVICE_PORT,
      serviceAccountDir: config.KUBERNETES_SERVICE_ACCOUNT_DIR,
    },
  };
}

/** People across surfaces (IDENTITIES), their tokens' roles and their approver groups. */
export function identitiesOf(config: Config): Identities {
  return new Identities(
    config.IDENTITIES ?? [],
    (config.API_TOKENS ?? []).map((t) => ({ identity: t.identity, role: t.role })),
    config.APPROVER_GROUPS ?? {},
  );
}
