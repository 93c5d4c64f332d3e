// Configuration is checked once, at start: a bad value stops `firebreak serve` before anything listens,
// with a message that names the variable (and never repeats a secret's value).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { credentialVariables, parseConfig, retentionOf, secretsOf } from '../../src/config/config.ts';

/** Runs `firebreak serve` with `env`, capturing what it writes. */
async function serve(env: Record<string, string>): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const code = await main(['serve'], io, { FIREBREAK_DATA_DIR: 'memory://', PORT: '0', ...env });
  return { code, out, err: err.join('\n') };
}

describe('a bad value stops the start and names the variable', () => {
  test.each([
    ['PORT', 'abc', /PORT: .*number/i],
    ['PORT', '70000', /PORT: /],
    ['DATABASE_URL', 'mysql://root@db:3306/firebreak', /DATABASE_URL: must be a postgres:\/\/ URL/],
    ['API_TOKENS', 'short=admin', /API_TOKENS: each entry must be token=role\[:identity\]/],
    ['API_TOKENS', 'long-enough-token=superuser', /API_TOKENS: each entry must be token=role/],
    ['API_TOKENS', 'long-enough-token-without-role', /API_TOKENS: each entry must be token=role/],
    ['FLAP_WINDOW', 'a while', /FLAP_WINDOW: must be a duration/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL: /],
    ['ALERTMANAGER_TOKEN', 'tiny', /ALERTMANAGER_TOKEN: must be at least 8 characters/],
    ['BODY_LIMIT_BYTES', '10', /BODY_LIMIT_BYTES: /],
    ['FIREBREAK_MIGRATE', 'maybe', /FIREBREAK_MIGRATE: /],
  ])('%s=%s', async (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(message);
    const run = await serve({ [name]: value });
    expect(run.code).toBe(2); // usage or configuration (exit codes in README)
    expect(run.err).toMatch(message);
    expect(run.err).toMatch(/^firebreak serve: invalid configuration/);
    // Nothing started: no "listening" line.
    expect(run.out).toEqual([]);
  });

  test('every bad variable is named at once', () => {
    let message = '';
    try {
      parseConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', API_TOKENS: 'nope' });
    } catch (err) {
      message = (err as Error).message;
    }
    const named = message
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(':')[0]);
    expect(named.sort()).toEqual(['API_TOKENS', 'DATABASE_URL', 'PORT']);
  });

  test('a refused secret is not repeated in the message', async () => {
    const token = 'sekrit7';
    const run = await serve({ API_TOKENS: `${token}=admin`, GENERIC_TOKEN: token });
    expect(run.code).toBe(2); // usage or configuration (exit codes in README)
    expect(run.err).toMatch(/API_TOKENS/);
    expect(run.err).toMatch(/GENERIC_TOKEN/);
    expect(run.err).not.toContain(token);
  });
});

describe('good values', () => {
  test('are parsed once, with defaults; an empty string means unset', () => {
    const config = parseConfig({
      PORT: '',
      DATABASE_URL: 'postgresql://u@db/fb',
      API_TOKENS: 'reader-token-1=viewer:vera, ops-token-22=operator',
      PAGERDUTY_WEBHOOK_SECRETS: 'old-secret-1, new-secret-2',
      FLAP_WINDOW: '90s',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      DATABASE_URL: 'postgresql://u@db/fb',
      FLAP_WINDOW: '90s',
      BODY_LIMIT_BYTES: 1024 * 1024,
      PAGERDUTY_WEBHOOK_SECRETS: ['old-secret-1', 'new-secret-2'],
      API_TOKENS: [
        { token: 'reader-token-1', role: 'viewer', identity: 'vera' },
        { token: 'ops-token-22', role: 'operator', identity: 'operator-token-2' },
      ],
    });
  });
});

describe('every credential may come from a file (<NAME>_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  /** A valid value per credential; a credential added later without a sample gets a plain long string. */
  const samples: Record<string, string> = {
    DATABASE_URL: 'postgres://firebreak:db-password-1@db:5432/firebreak',
    FIREBREAK_LISTEN_URL: 'postgres://firebreak:db-password-1@db-direct:5432/firebreak',
    API_TOKENS: 'admin-token-from-file=admin:ops',
    SLACK_BOT_TOKEN: 'xoxb-1234-from-a-file',
    PAGERDUTY_WEBHOOK_SECRETS: 'pd-secret-one,pd-secret-two',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=otlp-key-from-file',
    SSH_PRIVATE_KEY:
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-from-a-file\n-----END OPENSSH PRIVATE KEY-----',
  };
  const sample = (name: string) => samples[name] ?? `${name.toLowerCase()}-value-from-file`;

  test('the credentials are marked in the schema, webhook, API, Slack, metrics and database ones included', () => {
    expect(credentialVariables).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'API_TOKENS',
        'ALERTMANAGER_TOKEN',
        'GRAFANA_TOKEN',
        'GRAFANA_HMAC_SECRET',
        'PAGERDUTY_WEBHOOK_SECRETS',
        'DATADOG_TOKEN',
        'GENERIC_TOKEN',
        'SLACK_BOT_TOKEN',
        'SLACK_SIGNING_SECRET',
        'METRICS_TOKEN',
        'OTEL_EXPORTER_OTLP_HEADERS',
        'PAGERDUTY_API_TOKEN',
        'GRAFANA_API_TOKEN',
      ]),
    );
  });

  // Write-back settings come in pairs (a key needs its From email, a Grafana token its URL).
  const companions: Record<string, Record<string, string>> = {
    PAGERDUTY_API_TOKEN: { PAGERDUTY_FROM_EMAIL: 'firebreak-bot@acme.example' },
    GRAFANA_API_TOKEN: { GRAFANA_URL: 'https://grafana.acme.example' },
  };

  test('write-back settings come in pairs, and their tokens are redacted', () => {
    expect(() => parseConfig({ PAGERDUTY_API_TOKEN: 'pd-api-key-1' })).toThrow(
      /PAGERDUTY_FROM_EMAIL: required when PAGERDUTY_API_TOKEN is set/,
    );
    expect(() => parseConfig({ GRAFANA_URL: 'https://grafana.acme.example' })).toThrow(
      /GRAFANA_API_TOKEN: required when GRAFANA_URL is set/,
    );
    expect(() => parseConfig({ PAGERDUTY_FROM_EMAIL: 'not an email' })).toThrow(/PAGERDUTY_FROM_EMAIL/);
    const c = parseConfig({
      PAGERDUTY_API_TOKEN: 'pd-api-key-1',
      PAGERDUTY_FROM_EMAIL: 'firebreak-bot@acme.example',
      GRAFANA_URL: 'https://grafana.acme.example',
      GRAFANA_API_TOKEN: 'glsa_grafana-1',
    });
    expect(c.PAGERDUTY_API_URL).toBe('https://api.pagerduty.com');
    expect(c.PAGERDUTY_RESOLVE).toBe('never');
    expect(secretsOf(c)).toEqual(expect.arrayContaining(['pd-api-key-1', 'glsa_grafana-1']));
  });

  test.each(credentialVariables)(
    '%s_FILE gives the same value as the variable itself (trailing newline dropped)',
    (name) => {
      // Slack settings come as a set.
      const slack = name.startsWith('SLACK_')
        ? {
            SLACK_BOT_TOKEN: 'xoxb-1-2',
            SLACK_SIGNING_SECRET: 'signing-secret',
            SLACK_INCIDENT_CHANNEL: 'C1',
          }
        : {};
      const rest = Object.fromEntries(
        Object.entries({ ...slack, ...companions[name] }).filter(([k]) => k !== name),
      );
      const fromEnv = parseConfig({ ...rest, [name]: sample(name) });
      const fromFile = parseConfig({ ...rest, [`${name}_FILE`]: file(name, `${sample(name)}\n`) });
      expect(fromFile[name as keyof typeof fromFile]).toEqual(fromEnv[name as keyof typeof fromEnv]);
      expect(fromFile[name as keyof typeof fromFile]).toBeDefined();
      // …and is redacted like the same value from the environment.
      expect(secretsOf(fromFile)).toEqual(secretsOf(fromEnv));
    },
  );

  test('a value checked from a file is checked like one from the environment', () => {
    expect(() => parseConfig({ ALERTMANAGER_TOKEN_FILE: file('short', 'tiny\n') })).toThrow(
      /ALERTMANAGER_TOKEN: must be at least 8 characters/,
    );
  });

  test('both forms at once, or a file that cannot be read, stop the start naming the variable', async () => {
    const token = file('both', 'alertmanager-token-1');
    expect(() =>
      parseConfig({ ALERTMANAGER_TOKEN: 'alertmanager-token-2', ALERTMANAGER_TOKEN_FILE: token }),
    ).toThrow(/ALERTMANAGER_TOKEN_FILE: set ALERTMANAGER_TOKEN or ALERTMANAGER_TOKEN_FILE, not both/);
    const missing = join(dir, 'no-such-file');
    // A configuration the start refuses is a usage error: exit 2 (README, exit codes).
    const run = await serve({ API_TOKENS_FILE: missing });
    expect(run.code).toBe(2);
    expect(run.err).toContain(`API_TOKENS_FILE: cannot read ${missing}: ENOENT`);
    expect(run.out).toEqual([]);
  });

  test('only credentials have a file form', () => {
    const port = file('port', '9999');
    expect(parseConfig({ PORT_FILE: port }).PORT).toBe(8080);
  });
});

describe('resilience, pooling and retention settings', () => {
  test('have the documented defaults', () => {
    expect(parseConfig({})).toMatchObject({
      FIREBREAK_WORK: true,
      FIREBREAK_DB_POOL_MODE: 'session',
      FIREBREAK_DB_STARTUP_TIMEOUT: '60s',
      FIREBREAK_SHUTDOWN_GRACE_MS: 25_000,
      FIREBREAK_RETENTION: '90d',
      FIREBREAK_AUDIT_RETENTION: '400d',
      FIREBREAK_PRUNE_INTERVAL: '1h',
    });
    expect(parseConfig({}).FIREBREAK_LISTEN_URL).toBeUndefined();
  });

  test('refuse an audit window shorter than the history window, and a listen URL that is not one', () => {
    expect(() => parseConfig({ FIREBREAK_RETENTION: '30d', FIREBREAK_AUDIT_RETENTION: '7d' })).toThrow(
      /FIREBREAK_AUDIT_RETENTION: must not be shorter than FIREBREAK_RETENTION/,
    );
    expect(() => parseConfig({ FIREBREAK_LISTEN_URL: 'db:5432' })).toThrow(/FIREBREAK_LISTEN_URL/);
    expect(() => parseConfig({ FIREBREAK_DB_POOL_MODE: 'statement' })).toThrow(/FIREBREAK_DB_POOL_MODE/);
  });

  test('accept retention off, polling only, and transaction pooling', () => {
    const c = parseConfig({
      FIREBREAK_RETENTION: 'off',
      FIREBREAK_AUDIT_RETENTION: '1d',
      FIREBREAK_LISTEN_URL: 'none',
      FIREBREAK_DB_POOL_MODE: 'transaction',
      FIREBREAK_WORK: 'false',
    });
    expect(c).toMatchObject({
      FIREBREAK_RETENTION: 'off',
      FIREBREAK_LISTEN_URL: 'none',
      FIREBREAK_WORK: false,
    });
    expect(retentionOf(c)).toBeNull();
    expect(retentionOf(parseConfig({}))).toEqual({
      retentionMs: 90 * 86_400_000,
      auditRetentionMs: 400 * 86_400_000,
      intervalMs: 3_600_000,
    });
  });
});
