// The postmortem's key times are defined in the draft and never contradict each other. Seen on main: a
// rollback applied 18 s in, the alert resolved at 30 s and the verify confirmed at 43 s; the draft said
// "time to mitigate 43 s" beside "time to resolve 30 s", and the verify read `step.started …, attempt 2`.
import { describe, expect, test } from 'vitest';
import { runbook, z } from '../../src/index.ts';
import { buildPostmortem, postmortemMarkdown } from '../../src/services/postmortem/draft.ts';
import type { EventRecord } from '../../src/store/records.ts';
import { journalFixture } from '../fixtures/postmortem/journal.ts';
import { testFirebreak } from '../support/engine.ts';

const opened = journalFixture().incident.openedAt.getTime();
const at = (s: number) => new Date(opened + s * 1000);

/** The fixture's incident with the rollback applied at 18 s, resolved at 30 s, verified at 43 s. */
function verifiedAfterResolve(appliedAfter = 18) {
  const input = journalFixture();
  const run = input.runs[0]!.run.id;
  let seq = 0;
  const ev = (s: number, type: string, stepKey: string | null, data: unknown, runId: string | null = run) =>
    ({ seq: ++seq, runId, incidentId: input.incident.id, stepKey, type, data, at: at(s) }) as EventRecord;
  input.incident.resolvedAt = at(30);
  input.timeline = [
    ev(0, 'incident.opened', null, { title: 'HighErrorRate' }, null),
    ev(0, 'run.created', null, { runbook: 'high-error-rate' }),
    ev(0.2, 'step.started', 'errorRatio', { attempt: 1, phase: 'run', try: 1 }),
    ev(0.6, 'step.succeeded', 'errorRatio', { attempt: 1 }),
    ev(appliedAfter - 1, 'step.started', 'rollback', { attempt: 1, phase: 'apply', try: 1 }),
    ev(appliedAfter, 'mitigation.applied', 'rollback', { attempt: 1 }),
    ev(appliedAfter + 20, 'step.started', 'rollback', { attempt: 2, phase: 'verify', try: 1 }),
    ev(30, 'incident.resolved', null, null, null),
    ev(43, 'step.succeeded', 'rollback', { attempt: 2, phase: 'complete' }),
    ev(43, 'run.succeeded', null, null),
  ];
  return input;
}

describe('postmortem key times', () => {
  test('mitigate counts from the apply of the last mitigation that stayed, so it never follows resolve', () => {
    const pm = buildPostmortem(verifiedAfterResolve());
    expect(pm.times).toMatchObject({ firstActionMs: 200, mitigateMs: 18_000, resolveMs: 30_000 });
    expect(pm.times.mitigateMs!).toBeLessThanOrEqual(pm.times.resolveMs!);
    expect(pm.timeNotes).toEqual([]);
  });

  test('a mitigation applied after the alert resolved is not what mitigated it, and the draft says so', () => {
    const pm = buildPostmortem(verifiedAfterResolve(35));
    expect(pm.times.mitigateMs).toBeNull();
    expect(pm.timeNotes).toEqual([
      'rollback was applied 5 s after the alert resolved, so it is not counted as what mitigated the incident.',
    ]);
    expect(postmortemMarkdown(pm, [])).toContain('*rollback was applied 5 s after the alert resolved');
  });

  test('each key time is defined in the draft', () => {
    const input = verifiedAfterResolve();
    const md = postmortemMarkdown(buildPostmortem(input), input.evidence);
    expect(md).toContain('| time to detect | 15 s | the alert started → firebreak received it |');
    expect(md).toContain(
      '| time to first action | 200 ms | firebreak received the alert → the first runbook step started |',
    );
    expect(md).toContain(
      '| time to mitigate | 18 s | received → the last mitigation that stayed in place was applied (and its verify passed) |',
    );
    expect(md).toContain('| time to resolve | 30 s | received → the alert resolved |');
  });

  test('a verify is shown as a verify, not as another attempt of the step (journal of a real run)', async () => {
    const rb = runbook({ id: 'verified', title: 'verified', input: z.object({}) })
      .diagnostic('look', async () => ({ bad: true }))
      .mitigation('rollback', {
        apply: async () => ({ to: 'prev' }),
        revert: async () => {},
        verify: { check: async () => true },
      });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('verified', {});
    expect(run.status).toBe('succeeded');
    const input = journalFixture();
    input.timeline = (await fb.view(run.id))!.events.map((e) => ({ ...e, runId: input.runs[0]!.run.id }));
    const rows = buildPostmortem(input)
      .timeline.filter((r) => r.detail.startsWith('rollback'))
      .map((r) => [r.event, r.detail]);
    expect(rows).toEqual([
      ['apply.started', 'rollback'],
      ['mitigation.applied', 'rollback'],
      ['verify.started', 'rollback'],
      ['step.succeeded', 'rollback'],
    ]);
  });
});
