// The silence client against Debian's real Alertmanager: a silence is created active, a retried apply
// finds it instead of making a second one, the revert expires it, and a revert of what is already gone
// still counts as done. Bounds are checked before anything is sent. Then the same client as a runbook
// mitigation, gated, applied and reverted by the engine.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runbook } from '../../../src/dsl/runbook.ts';
import { z } from '../../../src/index.ts';
import { alertmanagerClient, type Silence } from '../../../src/integrations/alertmanager/client.ts';
import { silenceMitigation } from '../../../src/integrations/alertmanager/mitigation.ts';
import { expireSilence, silenceAlert } from '../../../src/integrations/alertmanager/silence.ts';
import { Approvals } from '../../../src/services/approvals/decide.ts';
import { testFirebreak } from '../../support/engine.ts';
import { ALERTMANAGER_BIN, type Daemon, startAlertmanager } from '../../support/prometheus-stack.ts';
import { until } from '../../support/until.ts';

const present = existsSync(ALERTMANAGER_BIN);
// CI installs it (.ci/run): there a missing binary fails rather than passing unseen.
if (!present && process.env.CI) throw new Error(`${ALERTMANAGER_BIN} not found: .ci/run installs it`);

const labels = { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical', mount: '/var "data"' };

describe.skipIf(!present)('Alertmanager silences (real prometheus-alertmanager)', () => {
  let am: Daemon;
  beforeAll(async () => {
    // No alert reaches it, so the receiver is never called.
    am = await startAlertmanager({ url: 'http://127.0.0.1:9/unused', bearerToken: 'never-sent-token' });
  });
  afterAll(async () => {
    await am?.stop();
  });

  const client = () => alertmanagerClient(fetch, { url: am.url });
  /** What Alertmanager itself lists, read without the client under test. */
  const listed = async (): Promise<Silence[]> => (await fetch(`${am.url}/api/v2/silences`)).json() as never;
  const byRun = async (runId: string) =>
    (await listed()).filter((s) => s.createdBy === `firebreak run ${runId}`);

  test('create: active in GET /api/v2/silences with equality matchers, createdBy and the incident in the comment', async () => {
    const now = new Date();
    const applied = await silenceAlert(client(), {
      labels,
      duration: '1h',
      runId: 'run-create',
      comment:
        'silenced while firebreak mitigates: firebreak run run-create, https://fb.example/incidents/i-1',
      now,
    });
    expect(applied.reused).toBe(false);
    const [s, ...more] = await byRun('run-create');
    expect(more).toEqual([]);
    expect(s).toMatchObject({
      id: applied.silenceId,
      status: { state: 'active' },
      createdBy: 'firebreak run run-create',
      comment: expect.stringContaining('https://fb.example/incidents/i-1'),
    });
    expect(s!.matchers).toEqual([
      { name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true },
      { name: 'instance', value: 'db-1:9100', isRegex: false, isEqual: true },
      { name: 'mount', value: '/var "data"', isRegex: false, isEqual: true },
      { name: 'severity', value: 'critical', isRegex: false, isEqual: true },
    ]);
    expect(new Date(s!.endsAt).getTime() - now.getTime()).toBe(3_600_000);

    const reverted = await expireSilence(client(), applied.silenceId);
    expect(reverted).toEqual({ silenceId: applied.silenceId, expiredNow: true });
    expect((await byRun('run-create')).map((x) => x.status.state)).toEqual(['expired']);
  });

  test('retry: applying twice for the same run creates one silence; another run gets its own', async () => {
    const req = { labels, duration: '30m', runId: 'run-twice', comment: 'twice', now: new Date() };
    const first = await silenceAlert(client(), req);
    const second = await silenceAlert(client(), { ...req, now: new Date() });
    expect(second).toMatchObject({ silenceId: first.silenceId, reused: true });
    expect(await byRun('run-twice')).toHaveLength(1);
    // Other labels in the same run, or the same labels in another run, are other silences.
    const other = await silenceAlert(client(), { ...req, labels: { ...labels, instance: 'db-2:9100' } });
    const otherRun = await silenceAlert(client(), { ...req, runId: 'run-twice-2' });
    expect(new Set([first.silenceId, other.silenceId, otherRun.silenceId]).size).toBe(3);
    // Once expired, it is not reused: a new apply makes a new silence.
    await expireSilence(client(), first.silenceId);
    const again = await silenceAlert(client(), req);
    expect(again.silenceId).not.toBe(first.silenceId);
  });

  test('retry with label values no filter can carry (quotes, newlines, unicode): still one silence', async () => {
    const odd = { alertname: 'Disk "full"\nagain', mount: '/données' };
    const req = { labels: odd, duration: '10m', runId: 'run-odd', comment: 'odd', now: new Date() };
    const first = await silenceAlert(client(), req);
    const second = await silenceAlert(client(), req);
    expect(second).toMatchObject({ silenceId: first.silenceId, reused: true });
    const [s, ...more] = await byRun('run-odd');
    expect(more).toEqual([]);
    expect(s!.matchers.map((m) => m.value)).toEqual(['Disk "full"\nagain', '/données']);
  });

  test("a label name outside Prometheus' charset is refused before any request, naming it", async () => {
    const before = (await byRun('run-odd-name')).length;
    const req = {
      labels: { alertname: 'DiskFull', 'we-ird name': 'v' },
      duration: '10m',
      runId: 'run-odd-name',
      comment: 'odd',
      now: new Date(),
    };
    await expect(silenceAlert(client(), req)).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringContaining('"we-ird name"'),
    });
    expect(await byRun('run-odd-name')).toHaveLength(before);
  });

  test('revert of a silence already expired, or unknown to Alertmanager, counts as reverted', async () => {
    const a = await silenceAlert(client(), {
      labels,
      duration: '5m',
      runId: 'run-gone',
      comment: 'x',
      now: new Date(),
    });
    expect(await expireSilence(client(), a.silenceId)).toEqual({ silenceId: a.silenceId, expiredNow: true });
    expect(await expireSilence(client(), a.silenceId)).toEqual({ silenceId: a.silenceId, expiredNow: false });
    const unknown = '0b9c6fd5-8b7e-4c1c-9d43-5b0f4a0e2f11';
    expect(await expireSilence(client(), unknown)).toEqual({ silenceId: unknown, expiredNow: false });
  });

  test('unbounded, zero or over-the-cap durations and empty label sets are refused before any request', async () => {
    const before = (await listed()).length;
    const base = { labels, runId: 'run-bounds', comment: 'x', now: new Date() };
    await expect(silenceAlert(client(), { ...base, duration: '25h' })).rejects.toThrow(/longer than the 24h/);
    await expect(silenceAlert(client(), { ...base, duration: '2h', maxDuration: '1h' })).rejects.toThrow(
      /longer than the 1h/,
    );
    await expect(silenceAlert(client(), { ...base, duration: 0 })).rejects.toThrow(/greater than zero/);
    await expect(silenceAlert(client(), { ...base, duration: undefined as never })).rejects.toThrow(
      /greater than zero/,
    );
    await expect(silenceAlert(client(), { ...base, duration: '1h', labels: {} })).rejects.toThrow(
      /at least one/,
    );
    expect((await listed()).length).toBe(before);
  });

  test('as a mitigation: gated, applied once, then expired by the saga when the run is cancelled', async () => {
    const rb = runbook({ id: 'silence-real', title: 'silence', input: z.object({ service: z.string() }) })
      .diagnostic('context', ({ input }) => ({
        labels: { alertname: 'HighErrorRate', service: input.service },
      }))
      .mitigation(
        'silence',
        silenceMitigation({
          endpoint: () => ({ url: am.url }),
          labels: ({ steps }) => steps.context.labels,
          duration: '1h',
          approval: { roles: ['approver'], timeout: '15m' },
        }),
      )
      .sleep('hold', { duration: '1h' });
    await using fb = await testFirebreak([rb as never]);
    const { runId } = await fb.start('silence-real', { service: 'checkout' });
    // Generous deadlines: a loaded machine (PGlite beside other test files) is slow, never wrong.
    const approval = await until(
      async () => (await fb.store.listApprovals({ status: 'pending' }))[0] ?? null,
      30_000,
    );
    expect(await byRun(runId)).toEqual([]); // nothing before the gate is decided
    const decided = await new Approvals(fb.store, fb.engine.clock).decide(approval.id, {
      decider: { identity: 'alice', via: 'api', groups: [], role: 'approver' },
      decision: 'approve',
      reason: null,
    });
    expect(decided.outcome).toBe('recorded');
    const active = await until(async () => {
      const s = await byRun(runId);
      return s.length === 1 && s[0]!.status.state === 'active' ? s[0]! : null;
    }, 30_000);
    expect(active.matchers.map((m) => `${m.name}=${m.value}`)).toEqual([
      'alertname=HighErrorRate',
      'service=checkout',
    ]);
    await fb.cancel(runId);
    const run = await fb.result(runId, { timeoutMs: 30_000 });
    expect(run.status).toBe('cancelled');
    expect((await byRun(runId)).map((s) => s.status.state)).toEqual(['expired']);
  });
});
