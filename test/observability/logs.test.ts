// The pino logger behind the server: one JSON object per line, the engine's lines carrying runId,
// runbook and incidentId, step-level lines carrying step, and configured secrets redacted on the way out.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REDACTED, redactor } from '../../src/core/redact.ts';
import { pinoLogger } from '../../src/observability/pino-logger.ts';
import { LEAKED_TOKEN } from '../fixtures/runbooks/leaky.ts';
import { fixtureJson } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';

interface Line {
  level: string;
  time: string;
  msg: string;
  runId?: string;
  runbook?: string;
  incidentId?: string | null;
  step?: string;
  attempt?: number;
  [key: string]: unknown;
}

/** An Alertmanager notification that starts the `leaky` runbook (test/fixtures/runbooks). */
function leakyAlert(): Record<string, unknown> {
  const base = fixtureJson('alertmanager/v0.25-single-alert.json');
  const [alert] = base.alerts as Record<string, unknown>[];
  const labels = { alertname: 'LeakySecret', service: 'billing' };
  return {
    ...base,
    groupKey: '{}:{alertname="LeakySecret"}',
    commonLabels: labels,
    alerts: [{ ...alert, labels }],
  };
}

describe('engine log lines', () => {
  const raw: string[] = [];
  let srv: TestServer;
  let lines: Line[];
  let incidentId: string;
  let alertRunId: string;
  let apiRunId: string;

  beforeAll(async () => {
    srv = await testServer({
      env: { ALERTMANAGER_TOKEN: LEAKED_TOKEN },
      logger: pinoLogger({
        level: 'debug',
        write: (l) => raw.push(l),
        redact: redactor([LEAKED_TOKEN]).text,
      }),
    });
    const fired = await srv.post<{ incidentId: string; runIds: string[] }>(
      '/webhooks/alertmanager',
      leakyAlert(),
      {
        authorization: `Bearer ${LEAKED_TOKEN}`,
      },
    );
    expect(fired.status, fired.text).toBe(202);
    incidentId = fired.body.incidentId;
    alertRunId = fired.body.runIds[0]!;
    // flaky-second's second step fails for good on its first run.
    const started = await srv.post<{ runId: string }>('/api/runs', {
      runbook: 'flaky-second',
      input: { service: 'web' },
    });
    expect(started.status, started.text).toBe(201);
    apiRunId = started.body.runId;
    expect((await srv.finalRun(alertRunId)).run.status).toBe('succeeded');
    expect((await srv.finalRun(apiRunId)).run.status).toBe('failed');
    lines = raw.map((l) => JSON.parse(l) as Line);
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('are one JSON object per line with a level label and an ISO time', () => {
    expect(raw.length).toBeGreaterThan(5);
    for (const l of raw) expect(l.endsWith('\n') && l.indexOf('\n') === l.length - 1, l).toBe(true);
    for (const l of lines) {
      expect(['debug', 'info', 'warn', 'error']).toContain(l.level);
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof l.msg).toBe('string');
    }
  });

  test("carry the run's id, runbook and incident on every line of the run", () => {
    const ofRun = lines.filter((l) => l.runId === alertRunId);
    expect(ofRun.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['read the upstream token', 'step attempt failed; retrying', 'run finished']),
    );
    for (const l of ofRun) expect(l).toMatchObject({ runbook: 'leaky', incidentId });
    expect(ofRun.find((l) => l.msg === 'run finished')).toMatchObject({
      level: 'info',
      status: 'succeeded',
      durationMs: expect.any(Number),
    });
  });

  test('carry the step on step-level lines: a step’s own log, a retry, a failure', () => {
    const ofRun = lines.filter((l) => l.runId === alertRunId);
    expect(ofRun.find((l) => l.msg === 'read the upstream token')).toMatchObject({
      step: 'read-token',
      attempt: 1,
      token: REDACTED,
    });
    expect(ofRun.find((l) => l.msg === 'step attempt failed; retrying')).toMatchObject({
      level: 'warn',
      step: 'call-upstream',
      attempt: 1,
      error: `upstream refused token ${REDACTED}`,
    });
    const finished = ofRun.filter((l) => l.msg === 'step finished').map((l) => [l.step, l.status]);
    expect(finished).toEqual([
      ['read-token', 'succeeded'],
      ['call-upstream', 'succeeded'],
    ]);

    const failed = lines.find((l) => l.runId === apiRunId && l.msg === 'step failed');
    expect(failed).toMatchObject({
      level: 'warn',
      runbook: 'flaky-second',
      incidentId: null,
      step: 'second',
      kind: 'diagnostic',
      status: 'failed',
      error: 'the dependency is down (first time only)',
    });
  });

  test('never contain a configured secret', () => {
    expect(raw.join('')).not.toContain(LEAKED_TOKEN);
    expect(raw.join('')).toContain(REDACTED);
  });
});

describe('pinoLogger', () => {
  test('a line repeating a bound key writes it once, with the line’s value', () => {
    const out: string[] = [];
    const log = pinoLogger({ level: 'info', write: (l) => out.push(l) }).child({
      runId: 'r1',
      step: 'outer',
    });
    log.info('inner step', { step: 'inner', n: 1 });
    log.debug('below the level');
    expect(out).toHaveLength(1);
    expect(out[0]!.match(/"step"/g)).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({
      level: 'info',
      msg: 'inner step',
      runId: 'r1',
      step: 'inner',
      n: 1,
    });
  });
});
