// The postmortem draft, rebuilt from the journal every time: the same journal gives the same Markdown,
// byte for byte (no clock, no random ids, stable ordering). Pure: the caller loads the records.
import type { SerializedError } from '../../core/errors.ts';
import { describeSerialized } from '../../core/failure.ts';
import { eventName, tryOf } from '../../core/journal-text.ts';
import type { AlertRecord, IncidentRecord } from '../../store/incidents.ts';
import type {
  ApprovalRecord,
  EventRecord,
  EvidenceRecord,
  RunRecord,
  StepRecord,
} from '../../store/records.ts';

export interface RunFacts {
  run: RunRecord;
  steps: StepRecord[];
  approvals: ApprovalRecord[];
  /** The runbook's own postmortem sections (empty when it has none or is not loaded). */
  sections: { title: string; body: string }[];
  title: string;
}

export interface PostmortemInput {
  incident: IncidentRecord;
  alerts: AlertRecord[];
  timeline: EventRecord[];
  evidence: EvidenceRecord[];
  runs: RunFacts[];
}

export interface MitigationFact {
  run: string;
  step: string;
  status: string;
  appliedAt: string | null;
  approvedBy: string[];
  approvalWaitMs: number | null;
}

export interface Postmortem {
  title: string;
  incidentId: string;
  drill: boolean;
  severity: string | null;
  status: string;
  impact: { start: string | null; end: string | null; durationMs: number | null };
  /** Key times; each is defined in KEY_TIMES (and in the draft), and they never contradict each other. */
  times: {
    detectMs: number | null;
    firstActionMs: number | null;
    acknowledgeMs: number | null;
    mitigateMs: number | null;
    resolveMs: number | null;
  };
  /** Why a key time is missing or what it leaves out, in words. */
  timeNotes: string[];
  summary: string;
  timeline: { at: string; event: string; detail: string }[];
  findings: { run: string; step: string; output: unknown }[];
  mitigations: MitigationFact[];
  evidence: { id: string; kind: string; title: string; step: string | null }[];
  wentWell: string[];
  wentWrong: string[];
  actionItems: string[];
  sections: { title: string; body: string }[];
}

/** What each key time measures: the draft prints these beside the times. */
export const KEY_TIMES = [
  { key: 'detectMs', name: 'time to detect', span: 'the alert started → firebreak received it' },
  {
    key: 'firstActionMs',
    name: 'time to first action',
    span: 'firebreak received the alert → the first runbook step started',
  },
  {
    key: 'acknowledgeMs',
    name: 'time to acknowledge',
    span: 'received → the first human action (a gate decision, a cancel, an acknowledgement)',
  },
  {
    key: 'mitigateMs',
    name: 'time to mitigate',
    span: 'received → the last mitigation that stayed in place was applied (and its verify passed)',
  },
  { key: 'resolveMs', name: 'time to resolve', span: 'received → the alert resolved' },
] as const satisfies readonly { key: keyof Postmortem['times']; name: string; span: string }[];

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const diff = (a: Date | null | undefined, b: Date | null | undefined) =>
  a && b ? b.getTime() - a.getTime() : null;

export function buildPostmortem(input: PostmortemInput): Postmortem {
  const { incident, timeline } = input;
  const runs = [...input.runs].sort(
    (a, b) => a.run.createdAt.getTime() - b.run.createdAt.getTime() || a.run.id.localeCompare(b.run.id),
  );
  const firstHuman = timeline.find(
    (e) => e.type === 'approval.decision' || e.type === 'run.cancel_requested',
  );
  const ackAt = earliest([incident.acknowledgedAt, firstHuman?.at ?? null]);
  const firstAction = timeline.find((e) => e.type === 'step.started');
  const mitigated = mitigatedAt(runs, timeline, incident.resolvedAt);
  const mitigations = mitigationFacts(runs, timeline);
  const { wentWell, wentWrong, actionItems } = lessons(runs, timeline, mitigations);
  return {
    title: incident.title,
    incidentId: incident.id,
    drill: incident.drill,
    severity: incident.severity,
    status: incident.status,
    impact: {
      start: iso(incident.startedAt ?? incident.openedAt),
      end: iso(incident.resolvedAt),
      durationMs: diff(incident.startedAt ?? incident.openedAt, incident.resolvedAt),
    },
    times: {
      detectMs: diff(incident.startedAt, incident.openedAt),
      firstActionMs: diff(incident.openedAt, firstAction?.at ?? null),
      acknowledgeMs: diff(incident.openedAt, ackAt),
      mitigateMs: diff(incident.openedAt, mitigated.at),
      resolveMs: diff(incident.openedAt, incident.resolvedAt),
    },
    timeNotes: mitigated.notes,
    summary: summary(input, runs),
    timeline: timeline.map((e) => ({ at: e.at.toISOString(), event: eventName(e), detail: detail(e) })),
    findings: runs.flatMap((r) =>
      r.steps
        .filter((s) => s.kind === 'diagnostic' && s.status === 'succeeded')
        .sort(byStart)
        .map((s) => ({ run: r.title, step: s.stepKey, output: s.output })),
    ),
    mitigations,
    evidence: input.evidence.map((e) => ({ id: e.id, kind: e.kind, title: e.title, step: e.stepKey })),
    wentWell,
    wentWrong,
    actionItems,
    sections: runs.flatMap((r) => r.sections),
  };
}

function byStart(a: StepRecord, b: StepRecord): number {
  return (a.startedAt?.getTime() ?? 0) - (b.startedAt?.getTime() ?? 0) || a.stepKey.localeCompare(b.stepKey);
}

function earliest(dates: (Date | null)[]): Date | null {
  const real = dates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return real.length ? new Date(Math.min(...real)) : null;
}

/**
 * When the incident was mitigated: the last mitigation that stayed in place (its step succeeded: applied,
 * and verified when it has a verify; not reverted) was applied. Counted from the apply, not the verify: a
 * rollback takes effect when applied, and the verify that confirms it may come after the alert resolved.
 * A mitigation applied after the alert had resolved did not mitigate it, so the two never contradict.
 */
function mitigatedAt(
  runs: RunFacts[],
  timeline: EventRecord[],
  resolvedAt: Date | null,
): { at: Date | null; notes: string[] } {
  const notes: string[] = [];
  let at: Date | null = null;
  for (const r of runs) {
    if (r.run.dryRun) continue;
    for (const s of r.steps.filter((x) => x.kind === 'mitigation' && x.status === 'succeeded')) {
      const applied = timeline.findLast(
        (e) => e.runId === r.run.id && e.stepKey === s.stepKey && e.type === 'mitigation.applied',
      );
      if (!applied) continue;
      if (resolvedAt && applied.at > resolvedAt) {
        notes.push(
          `${s.stepKey} was applied ${human(applied.at.getTime() - resolvedAt.getTime())} after the alert ` +
            'resolved, so it is not counted as what mitigated the incident.',
        );
        continue;
      }
      if (!at || applied.at > at) at = applied.at;
    }
  }
  return { at, notes };
}

function isMitigation(runs: RunFacts[], e: EventRecord): boolean {
  const r = runs.find((x) => x.run.id === e.runId);
  return r?.steps.find((s) => s.stepKey === e.stepKey)?.kind === 'mitigation';
}

function summary(input: PostmortemInput, runs: RunFacts[]): string {
  const { incident, alerts } = input;
  const services = [...new Set(alerts.map((a) => a.labels.service ?? a.labels.job).filter(Boolean))].sort();
  const outcome = runs.map((r) => `${r.title} (${r.run.runbookId}) ${r.run.status}`).join('; ');
  return (
    [
      `${incident.drill ? 'Drill: ' : ''}${incident.title} (${incident.severity ?? 'no severity'}) from ${incident.source}`,
      `${alerts.length} alert${alerts.length === 1 ? '' : 's'}${services.length ? ` on ${services.join(', ')}` : ''}`,
      `status ${incident.status}${incident.reopenedCount ? `, reopened ${incident.reopenedCount}×` : ''}.`,
    ].join(', ') + (outcome ? ` Runbooks: ${outcome}.` : ' No runbook ran.')
  );
}

function detail(e: EventRecord): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const error = d.error as SerializedError | undefined;
  const err = error?.message ? describeSerialized(error) : undefined;
  const parts: string[] = [];
  if (e.stepKey) parts.push(e.stepKey);
  const again = tryOf(e);
  if (again) parts.push(`try ${again}`);
  if (typeof d.by === 'string') parts.push(`by ${d.by}${typeof d.via === 'string' ? ` via ${d.via}` : ''}`);
  if (typeof d.reason === 'string') parts.push(`reason: ${d.reason}`);
  if (typeof d.fingerprint === 'string') parts.push(`alert ${d.fingerprint}`);
  if (typeof d.runbook === 'string') parts.push(`runbook ${d.runbook}`);
  if (err) parts.push(err);
  return parts.join(', ');
}

function mitigationFacts(runs: RunFacts[], timeline: EventRecord[]): MitigationFact[] {
  return runs.flatMap((r) =>
    r.steps
      .filter((s) => s.kind === 'mitigation')
      .sort(byStart)
      .map((s) => {
        const approval = r.approvals.filter((a) => a.stepKey === s.stepKey).at(-1);
        const applied = timeline.find(
          (e) => e.runId === r.run.id && e.stepKey === s.stepKey && e.type === 'mitigation.applied',
        );
        return {
          run: r.title,
          step: s.stepKey,
          status: r.run.dryRun ? `dry run (${s.status})` : s.status,
          appliedAt: iso(applied?.at),
          approvedBy: approval
            ? approval.decisions.filter((d) => d.decision === 'approve').map((d) => `${d.by} (${d.via})`)
            : [],
          approvalWaitMs: approval ? diff(approval.requestedAt, approval.decidedAt) : null,
        };
      }),
  );
}

function lessons(runs: RunFacts[], timeline: EventRecord[], mitigations: MitigationFact[]) {
  const wentWell: string[] = [];
  const wentWrong: string[] = [];
  const actionItems: string[] = [];
  const retries = timeline.filter((e) => e.type === 'step.retrying');
  const failures = timeline.filter((e) => e.type === 'step.failed');
  const timeouts = [...retries, ...failures].filter(
    (e) => (e.data as { error?: { code?: string } } | null)?.error?.code === 'step_timeout',
  );
  const revertFailed = timeline.filter((e) => e.type === 'mitigation.revert_failed');
  const reverted = timeline.filter((e) => e.type === 'mitigation.reverted');
  const diagnostics = runs.flatMap((r) => r.steps.filter((s) => s.kind === 'diagnostic'));
  const firstTry = diagnostics.filter((s) => s.status === 'succeeded' && s.attempt === 1);

  if (diagnostics.length > 0 && firstTry.length === diagnostics.length) {
    wentWell.push(`All ${diagnostics.length} diagnostics succeeded on the first attempt.`);
  }
  const verified = timeline.filter((e) => e.type === 'step.succeeded' && isMitigation(runs, e));
  if (verified.length > 0)
    wentWell.push(
      `${verified.length} mitigation(s) completed (applied and verified where a check was defined).`,
    );
  if (runs.some((r) => r.run.status === 'succeeded'))
    wentWell.push('Automation ran to completion without manual repair.');

  for (const step of new Set(retries.map((e) => `${e.stepKey}`))) {
    const n = retries.filter((e) => e.stepKey === step).length;
    wentWrong.push(`${step} needed ${n} retr${n === 1 ? 'y' : 'ies'}.`);
    actionItems.push(`Find out why ${step} fails intermittently (${n} retr${n === 1 ? 'y' : 'ies'}).`);
  }
  for (const e of failures) {
    const error = (e.data as { error?: SerializedError } | null)?.error;
    wentWrong.push(`${e.stepKey} failed: ${error ? describeSerialized(error) : 'unknown error'}.`);
  }
  if (timeouts.length > 0)
    actionItems.push(`Review the timeouts of ${[...new Set(timeouts.map((e) => e.stepKey))].join(', ')}.`);
  for (const m of mitigations) {
    if (m.approvalWaitMs !== null && m.approvalWaitMs > 5 * 60_000) {
      wentWrong.push(`Approval of ${m.step} waited ${Math.round(m.approvalWaitMs / 60_000)} min.`);
      actionItems.push(
        `Check who can approve ${m.step} at night (approval waited ${Math.round(m.approvalWaitMs / 60_000)} min).`,
      );
    }
  }
  for (const e of timeline.filter((x) => x.type === 'approval.rejected' || x.type === 'approval.expired')) {
    wentWrong.push(
      `The gate of ${e.stepKey} was ${e.type === 'approval.rejected' ? 'rejected' : 'not decided in time'}.`,
    );
  }
  if (reverted.length > 0) wentWrong.push(`${reverted.length} mitigation(s) had to be reverted.`);
  for (const e of revertFailed) {
    wentWrong.push(`Revert of ${e.stepKey} FAILED: the change may still be applied.`);
    actionItems.push(`Verify the state of ${e.stepKey} by hand and fix its revert.`);
  }
  if (wentWell.length === 0) wentWell.push('Nothing stood out.');
  if (wentWrong.length === 0) wentWrong.push('Nothing stood out.');
  if (actionItems.length === 0) actionItems.push('None derived from the journal; add your own.');
  return { wentWell, wentWrong, actionItems };
}

// ---- Markdown ----------------------------------------------------------------------------------

export function postmortemMarkdown(pm: Postmortem, evidence: EvidenceRecord[]): string {
  const out: string[] = [];
  out.push(`# Postmortem: ${pm.title}${pm.drill ? ' (drill)' : ''}`, '');
  out.push(
    `*Draft generated from the incident journal of \`${pm.incidentId}\`. Edit freely; a saved edit is kept.*`,
    '',
  );
  out.push('## Summary', '', pm.summary, '');
  out.push(`- **Severity:** ${pm.severity ?? 'unknown'}`);
  out.push(`- **Status:** ${pm.status}`);
  out.push(
    `- **Impact window:** ${pm.impact.start ?? '?'} → ${pm.impact.end ?? 'ongoing'}${pm.impact.durationMs !== null ? ` (${human(pm.impact.durationMs)})` : ''}`,
    '',
  );
  out.push('## Key times', '', '| measure | time | from → to |', '| --- | --- | --- |');
  for (const k of KEY_TIMES) out.push(`| ${k.name} | ${human(pm.times[k.key])} | ${k.span} |`);
  out.push('');
  for (const n of pm.timeNotes) out.push(`*${n}*`, '');
  out.push('## Timeline', '', '| time (UTC) | event | detail |', '| --- | --- | --- |');
  for (const t of pm.timeline) out.push(`| ${t.at} | ${t.event} | ${cell(t.detail)} |`);
  out.push('', '## Diagnostic findings', '');
  if (pm.findings.length === 0) out.push('No diagnostic produced output.');
  for (const f of pm.findings) out.push(`- **${f.step}** (${f.run}): \`${cell(short(f.output))}\``);
  out.push('', '## Mitigations', '');
  if (pm.mitigations.length === 0) out.push('No mitigation was part of this incident.');
  else {
    out.push(
      '| mitigation | outcome | applied | approved by | approval wait |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const m of pm.mitigations) {
      out.push(
        `| ${m.step} | ${m.status} | ${m.appliedAt ?? '-'} | ${m.approvedBy.join(', ') || '-'} | ${m.approvalWaitMs === null ? '-' : human(m.approvalWaitMs)} |`,
      );
    }
  }
  out.push('', '## Evidence', '');
  if (evidence.length === 0) out.push('No evidence was attached.');
  for (const e of evidence) out.push(...evidenceMarkdown(e), '');
  out.push('## What went well', '', ...pm.wentWell.map((l) => `- ${l}`), '');
  out.push('## What did not go well', '', ...pm.wentWrong.map((l) => `- ${l}`), '');
  out.push('## Action items', '', ...pm.actionItems.map((l) => `- [ ] ${l}`), '');
  for (const s of pm.sections) out.push(`## ${s.title}`, '', s.body.trim(), '');
  return `${out.join('\n').trimEnd()}\n`;
}

function evidenceMarkdown(e: EvidenceRecord): string[] {
  const head = `### ${e.title}`;
  const meta = `*${e.kind}${e.stepKey ? ` from ${e.stepKey}` : ''}${e.attempt ? `, attempt ${e.attempt}` : ''}, ${e.createdAt.toISOString()}, sha256 ${e.contentHash.slice(0, 12)}*`;
  const c = e.content as Record<string, unknown> | string | null;
  switch (e.kind) {
    case 'text':
      return [head, meta, '', '```', String(c ?? ''), '```'];
    case 'markdown':
      return [head, meta, '', String(c ?? '')];
    case 'table': {
      const t = c as { columns?: string[]; rows?: unknown[][] } | null;
      const cols = t?.columns ?? [];
      return [
        head,
        meta,
        '',
        `| ${cols.join(' | ')} |`,
        `| ${cols.map(() => '---').join(' | ')} |`,
        ...(t?.rows ?? []).map((r) => `| ${r.map((v) => cell(String(v))).join(' | ')} |`),
      ];
    }
    case 'link': {
      const url = (c as { url?: string } | null)?.url ?? '';
      return [head, meta, '', `[${url}](${url})`];
    }
    case 'image':
      return [head, meta, '', `![${e.title}](/api/evidence/${e.id})`];
    default:
      return [
        head,
        meta,
        '',
        '<details><summary>JSON</summary>',
        '',
        '```json',
        JSON.stringify(c, null, 2),
        '```',
        '',
        '</details>',
      ];
  }
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'null';
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

export function human(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
