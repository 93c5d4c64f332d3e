// History is kept for FIREBREAK_RETENTION (90 days), its audit part for FIREBREAK_AUDIT_RETENTION (400
// days), and the audit trail can be exported before it goes. The test lives through 500 days on a manual
// clock: runs, an incident and a dead letter at 500, 200 and 10 days ago, then one retention pass.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { redactor } from '../../src/core/redact.ts';
import { NonRetryableError, runbook, z } from '../../src/index.ts';
import { type ExportedEvent, exportJournal } from '../../src/retention/export.ts';
import type { PruneReport } from '../../src/retention/pruner.ts';
import type { EventRecord } from '../../src/store/records.ts';
import { type TestServer, testServer } from '../support/server.ts';
import { until } from '../support/until.ts';

const DAY = 86_400_000;
const NOW = new Date('2030-06-01T12:00:00Z');
const SECRET = 'export-secret-4f1e9a';

const diagnosticOnly = runbook({ id: 'look-only', title: 'Only looks', input: z.object({ era: z.string() }) })
  .diagnostic('look', async ({ input }) => ({ era: input.era, note: `saw ${SECRET}` }))
  .diagnostic('report', async () => ({ ok: true }));

/** Its failure message carries the secret into the journal (step.failed), where the export must hide it. */
const leaky = runbook({ id: 'leaky', title: 'Fails saying too much', input: z.object({}) }).diagnostic(
  'call',
  async () => {
    throw new NonRetryableError(`upstream refused token ${SECRET}`);
  },
);

const gated = runbook({
  id: 'gated-change',
  title: 'Changes behind a gate',
  input: z.object({ era: z.string() }),
})
  .diagnostic('look', async () => ({ ok: true }))
  .mitigation('shift', {
    approval: { approvers: ['local'] },
    // Its budget uses are audit too: pruned past the audit window, not before.
    budget: { max: 10, per: '1d' },
    apply: async ({ input }) => ({ shifted: input.era }),
    revert: async () => {},
  });

interface Era {
  look: string;
  gated: string | null;
  incident: string | null;
}

describe('retention', () => {
  const clock = new ManualClock(new Date(NOW.getTime() - 500 * DAY));
  let srv: TestServer;
  const eras: Record<string, Era> = {};
  const exported: ExportedEvent[] = [];
  let auditBefore: EventRecord[] = [];
  let report: PruneReport | null = null;

  /** A run (started by an alert, so by nobody) waits at its gate and is approved through the API. */
  async function runGated(era: string): Promise<string> {
    const { runId } = await srv.fb.start('gated-change', { era }, { requestedBy: `alert:${era}` });
    const approval = await until(async () => (await srv.fb.store.listApprovals({ runId }))[0] ?? null);
    const decided = await srv.post(`/api/approvals/${approval.id}/approve`, {});
    expect(decided.status, decided.text).toBe(200);
    expect((await srv.finalRun(runId)).run.status).toBe('succeeded');
    return runId;
  }

  async function runLookOnly(era: string): Promise<string> {
    const started = await srv.post<{ runId: string }>('/api/runs', { runbook: 'look-only', input: { era } });
    expect((await srv.finalRun(started.body.runId)).run.status).toBe('succeeded');
    return started.body.runId;
  }

  /** An incident opened and resolved now, through the generic webhook. */
  async function incident(era: string): Promise<string> {
    const alert = {
      id: `retention-${era}`,
      status: 'firing',
      title: `era ${era}`,
      labels: { alertname: 'Nobody' },
    };
    const fired = await srv.post<{ incidentId: string }>('/webhooks/generic', alert);
    expect(fired.status, fired.text).toBe(202);
    await srv.post('/webhooks/generic', { ...alert, status: 'resolved' });
    return fired.body.incidentId;
  }

  beforeAll(async () => {
    srv = await testServer({ server: { clock, runbooks: [diagnosticOnly, gated, leaky] } });
    eras.old = { look: await runLookOnly('500d'), gated: await runGated('500d'), incident: null };
    clock.advance(300 * DAY);
    eras.mid = {
      look: await runLookOnly('200d'),
      gated: await runGated('200d'),
      incident: await incident('200d'),
    };
    // A body that routes nowhere is kept as a dead letter, received 200 days ago.
    expect((await srv.post('/webhooks/generic', { status: 'firing', title: 'no id' })).status).toBe(202);
    clock.advance(190 * DAY);
    eras.recent = { look: await runLookOnly('10d'), gated: null, incident: await incident('10d') };
    const leak = await srv.post<{ runId: string }>('/api/runs', { runbook: 'leaky', input: {} });
    expect((await srv.finalRun(leak.body.runId)).run.status).toBe('failed');
    clock.advance(10 * DAY);

    const driver = srv.fb.store.driver;
    auditBefore = (await srv.fb.store.listEvents({})).filter((e) => /^(approval|mitigation)\./.test(e.type));
    await exportJournal(
      driver,
      redactor([SECRET]),
      { since: new Date(NOW.getTime() - 600 * DAY), until: NOW, auditOnly: true },
      (line) => void exported.push(JSON.parse(line) as ExportedEvent),
    );
    report = await srv.server.pruner!.pass();
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
  });

  test('the audit trail exports as JSON lines that round-trip to the journal, oldest first', () => {
    expect(auditBefore.length).toBeGreaterThanOrEqual(6);
    expect(exported.map((e) => e.seq)).toEqual(auditBefore.map((e) => e.seq));
    for (const [i, e] of auditBefore.entries()) {
      expect(exported[i]).toEqual({
        seq: e.seq,
        at: e.at.toISOString(),
        type: e.type,
        runId: e.runId,
        runbookId: 'gated-change',
        incidentId: e.incidentId,
        step: e.stepKey,
        data: JSON.parse(redactor([SECRET]).json(e.data)),
      });
    }
  });

  test('an export redacts what the configuration calls secret, as everything else does', async () => {
    const lines: string[] = [];
    await exportJournal(
      srv.fb.store.driver,
      redactor([SECRET]),
      { since: new Date(NOW.getTime() - 20 * DAY), until: NOW, auditOnly: false },
      (line) => void lines.push(line),
    );
    expect(lines.some((l) => l.includes('"type":"step.failed"'))).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).toContain('[REDACTED]');
  });

  test('history older than 90 days is gone; its audit part stays until 400 days', async () => {
    const store = srv.fb.store;
    expect(report).not.toBeNull();
    // 200 days old, diagnostics only: nothing of it is left.
    expect(await store.getRun(eras.mid!.look)).toBeNull();
    expect(await store.listEvents({ runId: eras.mid!.look })).toEqual([]);
    // 200 days old with a gate and a mitigation: the run, its approval and its audit lines stay.
    const kept = await store.getRun(eras.mid!.gated!);
    expect(kept).toMatchObject({ status: 'succeeded', runbookId: 'gated-change' });
    expect(await store.getSteps(eras.mid!.gated!)).toEqual([]);
    expect(await store.getAttempts(eras.mid!.gated!)).toEqual([]);
    const left = (await store.listEvents({ runId: eras.mid!.gated! })).map((e) => e.type);
    expect(left).toEqual(
      expect.arrayContaining(['approval.requested', 'approval.approved', 'mitigation.applied']),
    );
    expect(left.every((t) => /^(approval|mitigation)\./.test(t))).toBe(true);
    expect(await store.listApprovals({ runId: eras.mid!.gated! })).toHaveLength(1);
    // 500 days old: past the audit window too.
    for (const id of [eras.old!.look, eras.old!.gated!]) {
      expect(await store.getRun(id)).toBeNull();
      expect(await store.listEvents({ runId: id })).toEqual([]);
      expect(await store.listApprovals({ runId: id })).toEqual([]);
    }
  });

  test('recent history is untouched', async () => {
    const view = (await srv.fb.view(eras.recent!.look))!;
    expect(view.run.status).toBe('succeeded');
    expect(view.steps.map((s) => s.stepKey)).toEqual(['look', 'report']);
    expect(view.events.map((e) => e.type)).toContain('run.succeeded');
    const recent = await srv.get(`/api/incidents/${eras.recent!.incident}`);
    expect(recent.status).toBe(200);
  });

  test('resolved incidents and dead letters older than 90 days are gone, with their timelines', async () => {
    expect((await srv.get(`/api/incidents/${eras.mid!.incident}`)).status).toBe(404);
    expect(await srv.fb.store.listEvents({ incidentId: eras.mid!.incident! })).toEqual([]);
    const letters = await srv.get<{ deadLetters: unknown[] }>('/api/dead-letters');
    expect(letters.body.deadLetters).toEqual([]);
    expect(report!.deleted).toMatchObject({ incidents: 1, dead_letters: 1, runs: 3 });
    // The 500-day-old use of a mitigation budget is gone; the 200-day-old one stays (audit window).
    expect(report!.deleted.mitigation_budget_uses).toBe(1);
    const uses = await srv.fb.store.driver.query<{ run_id: string }>(
      'select run_id::text from mitigation_budget_uses',
    );
    expect(uses.map((u) => u.run_id)).toEqual([eras.mid!.gated]);
    expect(report!.runsKept).toBe(1);
  });

  test('/metrics shows what was pruned', async () => {
    const text = (await srv.get<string>('/metrics')).text;
    expect(text).toMatch(/^firebreak_pruned_rows_total\{table="runs"\} 3$/m);
    expect(text).toMatch(/^firebreak_prune_passes_total\{outcome="pruned"\} 1$/m);
    expect(text).toMatch(/^firebreak_prune_last_success_timestamp_seconds [1-9]/m);
    expect(text).toMatch(/^firebreak_oldest_run_history_age_seconds /m);
  });

  test('a second pass within the interval is skipped: one replica prunes per interval', async () => {
    expect(await srv.server.pruner!.pass()).toBeNull();
  });
});
