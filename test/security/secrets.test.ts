// Finding 3 of issue 9: runbook credentials leaked. KUBERNETES_TOKEN, FEATURE_FLAGS_TOKEN, DB_ADMIN_TOKEN
// (and whatever a runbook reads) were not redacted, nor the DATABASE_URL password; dead letters kept
// proxy-authorization, x-api-key and signature headers. A runbook that returns, attaches, logs and
// throws its credentials (raw, URL-encoded, base64) leaves none of them in any table, API answer or
// line of the server's own log.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig, secretsOf } from '../../src/config/config.ts';
import { REDACTED, redactor } from '../../src/core/redact.ts';
import { fixtureJson } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';

const RUNBOOKS = fileURLToPath(new URL('./runbooks', import.meta.url));
const ADMIN = 'secrets-admin-token-01';
const SECRETS = {
  // A quote and a backslash: inside JSON they are written escaped, and must be found so.
  KUBERNETES_TOKEN: 'kube-"tok\\en-91c2d4',
  FEATURE_FLAGS_TOKEN: 'ff-token-55e1a9c3',
  DB_ADMIN_TOKEN: 'dbadmin-7a1b7c9d',
  UPSTREAM_AUTH: 'upstream+auth/3f9e/77',
  LATE_CREDENTIAL_VALUE: 'late-cred-0b5d2e71',
};
const ENCODED = [
  encodeURIComponent(SECRETS.KUBERNETES_TOKEN),
  Buffer.from(`svc:${SECRETS.LATE_CREDENTIAL_VALUE}`).toString('base64'),
];

describe('credentials a runbook reads', () => {
  let srv: TestServer;
  let runId: string;
  let deadLetterId: string;

  beforeAll(async () => {
    srv = await testServer({
      runbooksDir: RUNBOOKS,
      env: { ...SECRETS, API_TOKENS: `${ADMIN}=admin:ada`, LOG_LEVEL: 'debug' },
      headers: { authorization: `Bearer ${ADMIN}` },
      serverLogger: true,
    });
    const started = await srv.post<{ runId: string }>('/api/runs', {
      runbook: 'credentials',
      input: { echo: `auth=${SECRETS.UPSTREAM_AUTH}` },
    });
    expect(started.status, started.text).toBe(201);
    runId = started.body.runId;
    expect((await srv.finalRun(runId)).run.status).toBe('failed');
    // A delivery that cannot be routed, sent with credentials in headers of every kind.
    const dl = await srv.post<{ deadLetterId: string }>(
      '/webhooks/alertmanager',
      { ...fixtureJson('alertmanager/firing-two-alerts.json'), version: '9' },
      {
        'user-agent': 'Alertmanager/0.28.1',
        'x-request-id': 'req-42',
        'proxy-authorization': `Basic ${SECRETS.DB_ADMIN_TOKEN}`,
        'x-api-key': SECRETS.FEATURE_FLAGS_TOKEN,
        'x-pagerduty-signature': 'v1=0123abcd',
        'x-grafana-alerting-signature': 'beef',
        cookie: 'session=abc',
      },
    );
    expect(dl.status, dl.text).toBe(202);
    deadLetterId = dl.body.deadLetterId;
  });
  afterAll(async () => {
    await srv?.close();
  });

  const leaks = (text: string) =>
    [...Object.values(SECRETS), ...ENCODED, JSON.stringify(SECRETS.KUBERNETES_TOKEN).slice(1, -1)].filter(
      (s) => text.includes(s),
    );

  test('the run did return, attach, log and throw them (so redaction had work to do)', async () => {
    const run = await srv.finalRun(runId);
    const read = run.steps.find((s) => s.stepKey === 'read');
    expect(read?.output).toEqual({
      kube: REDACTED,
      late: REDACTED,
      echoed: `auth=${REDACTED}`,
      urlEncoded: `https://api.example/?token=${REDACTED}`,
      basic: expect.stringContaining(REDACTED),
    });
    const failed = run.attempts.find((a) => a.stepKey === 'fail');
    expect(failed?.error?.message).toBe(`feature flags refused ${REDACTED}`);
  });

  test('appear in no row of any table', async () => {
    const driver = srv.fb.store.driver;
    const tables = await driver.query(
      `select table_name from information_schema.tables
       where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    let dumped = '';
    for (const t of tables) {
      const rows = await driver.query(
        `select coalesce(string_agg(t::text, E'\\n'), '') as dump from "${String(t.table_name)}" t`,
      );
      dumped += String(rows[0]?.dump ?? '');
    }
    expect(dumped).toContain(REDACTED);
    expect(leaks(dumped)).toEqual([]);
  });

  test('appear in no API answer', async () => {
    for (const path of [`/api/runs/${runId}`, '/api/runs', '/api/dead-letters']) {
      const r = await srv.get(path);
      expect(r.status).toBe(200);
      expect(leaks(r.text), path).toEqual([]);
    }
  });

  test("appear in no line of the server's own log", () => {
    const log = srv.logs.join('\n');
    expect(log).toContain('calling the cluster');
    expect(log).toContain(REDACTED);
    expect(leaks(log)).toEqual([]);
  });

  test('a dead letter keeps the sender headers on the allow-list only, never credentials', async () => {
    const dead = await srv.get<{ deadLetters: { id: string; headers: Record<string, string> }[] }>(
      '/api/dead-letters',
    );
    const kept = dead.body.deadLetters.find((d) => d.id === deadLetterId);
    expect(kept?.headers).toEqual({
      'content-type': 'application/json',
      'user-agent': 'Alertmanager/0.28.1',
      'x-request-id': 'req-42',
    });
  });
});

describe('what is a secret', () => {
  test('the DATABASE_URL password, as written and decoded, and variables named like credentials', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://firebreak:s3cr%40t-passw0rd@db.internal:5432/firebreak',
      DB_ADMIN_PASSWORD: 'hunter2-but-longer',
      VAULT_KEY: 'vault-key-0f0f0f0f',
      GCP_CREDENTIALS: '{"type":"service_account"}',
      SHORT_TOKEN: 'abc',
      ORDINARY: 'not-a-secret-value',
    });
    const secrets = secretsOf(config);
    expect(secrets).toEqual(
      expect.arrayContaining([
        's3cr%40t-passw0rd',
        's3cr@t-passw0rd',
        'hunter2-but-longer',
        'vault-key-0f0f0f0f',
        '{"type":"service_account"}',
      ]),
    );
    expect(secrets).not.toContain('not-a-secret-value');
    const r = redactor(secrets);
    expect(r.text('postgres://firebreak:s3cr@t-passw0rd@db')).toBe(`postgres://firebreak:${REDACTED}@db`);
    // Three characters would redact ordinary words: too short to count.
    expect(r.text('abc abc')).toBe('abc abc');
  });

  test('a webhook secret shorter than 8 characters stops the start, naming the variable', () => {
    expect(() => parseConfig({ PAGERDUTY_WEBHOOK_SECRETS: 'abc' })).toThrow(/PAGERDUTY_WEBHOOK_SECRETS/);
    expect(() => parseConfig({ PAGERDUTY_WEBHOOK_SECRETS: 'long-enough-1,short' })).toThrow(
      /PAGERDUTY_WEBHOOK_SECRETS/,
    );
    expect(() => parseConfig({ GENERIC_TOKEN: 'seven77' })).toThrow(/GENERIC_TOKEN/);
  });
});

describe('the redactor', () => {
  test('hides values of 8 characters and more, never shorter ones', () => {
    const r = redactor(['exactly8', 'seven77']);
    expect(r.text('exactly8 seven77')).toBe(`${REDACTED} seven77`);
  });

  test('finds a secret with a quote or a backslash inside serialized JSON', () => {
    const secret = 'pa"ss\\word-123';
    const out = redactor([secret]).json({ nested: { value: `x ${secret} y` } });
    expect(out).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(JSON.parse(out)).toEqual({ nested: { value: `x ${REDACTED} y` } });
  });

  test('finds URL-encoded and base64 forms (standard, URL-safe, at any alignment)', () => {
    const secret = 'tok+en/with?odd&chars-9';
    const r = redactor([secret]);
    expect(r.text(`?t=${encodeURIComponent(secret)}`)).toBe(`?t=${REDACTED}`);
    for (const prefix of ['', 'u:', 'us:', 'use:']) {
      const b64 = Buffer.from(`${prefix}${secret}`).toString('base64');
      for (const form of [b64, b64.replace(/\+/g, '-').replace(/\//g, '_')]) {
        expect(r.text(`Basic ${form}`), prefix).toContain(REDACTED);
      }
    }
  });

  test('a secret added later is hidden from then on', () => {
    const r = redactor([]);
    expect(r.text('late-secret-42')).toBe('late-secret-42');
    r.add(['late-secret-42']);
    expect(r.text('late-secret-42')).toBe(REDACTED);
  });

  test('U+0000 becomes U+FFFD, while the six characters \\u0000 written as text stay text', () => {
    const out = redactor([]).json({ nul: 'a\u0000b', text: 'a\\u0000b', both: '\\\u0000' });
    expect(JSON.parse(out)).toEqual({ nul: 'a\ufffdb', text: 'a\\u0000b', both: '\\\ufffd' });
  });
});
