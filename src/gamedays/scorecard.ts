// The scorecard that ends a drill: what was measured, against the targets its game day declared.
// Pure: the caller loads the drill's records and writes the result (evidence + timeline).
import { createHash, randomUUID } from 'node:crypto';
import type {
  FireRecord,
  FireSettings,
  InjectOutcome,
  Measure,
  Scorecard,
  ScorecardWrite,
} from '../store/gameday-records.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../store/records.ts';

export type { InjectOutcome, Measure, Scorecard } from '../store/gameday-records.ts';

/** The error code of a live drill's run that the scheduler compensated after it succeeded (rollback). */
export const DRILL_ROLLBACK = 'drill_rollback';

export interface DrillFacts {
  scheduleId: string;
  mode: 'dry-run' | 'live';
  trigger: string;
  dueAt: Date;
  /** When the drill fired: its incident opened and its run was created. */
  startedAt: Date;
  settings: FireSettings;
  inject: InjectOutcome;
  injectedAt: Date | null;
  detectedAt: Date | null;
  run: Pick<RunRecord, 'id' | 'status' | 'error'>;
  steps: readonly StepRecord[];
  approvals: readonly ApprovalRecord[];
  now: Date;
}

const FAILED_STEP = new Set(['failed', 'rejected', 'expired', 'revert_failed']);

export function scoreDrill(f: DrillFacts): Scorecard {
  const detect = f.settings.detect;
  const detectFrom = f.injectedAt ?? f.startedAt;
  const timeToDetectMs = detect && f.detectedAt ? f.detectedAt.getTime() - detectFrom.getTime() : null;
  const detected = detect ? timeToDetectMs !== null : null;
  const mitigation = firstMitigation(f);
  const timeToMitigateMs = mitigation ? Math.max(0, mitigation.at - f.startedAt.getTime()) : null;
  const approvalWaitMs = f.approvals.reduce(
    (sum, a) => sum + ((a.decidedAt ?? f.now).getTime() - a.requestedAt.getTime()),
    0,
  );
  const failedSteps = f.steps.filter((s) => FAILED_STEP.has(s.status)).map((s) => s.stepKey);
  const revertVerified = f.mode === 'live' ? revertsVerified(f) : null;
  const t = f.settings.targets;

  const measures: Measure[] = [runMeasure(f)];
  if (f.settings.inject) {
    measures.push({
      name: 'fault injected',
      value: f.inject === 'injected' ? `at ${detectFrom.toISOString()}` : f.inject,
      target: 'injected',
      passed: f.inject === 'injected',
    });
  }
  if (detect) {
    const limit = Math.min(detect.withinMs, t.detectWithinMs ?? Number.POSITIVE_INFINITY);
    measures.push({
      name: 'time to detect',
      value: timeToDetectMs === null ? 'not detected' : duration(timeToDetectMs),
      target: `≤ ${duration(limit)}`,
      passed: timeToDetectMs !== null && timeToDetectMs <= limit,
    });
  }
  measures.push(
    within(
      f.mode === 'live' ? 'time to mitigate (first applied)' : 'time to mitigate (first would apply)',
      timeToMitigateMs === null ? null : timeToMitigateMs,
      t.mitigateWithinMs,
      mitigation ? ` (${mitigation.step})` : '',
    ),
    within(`approval wait (${f.approvals.length} gate(s))`, approvalWaitMs, t.approvalWithinMs, ''),
    {
      name: 'failed steps',
      value: failedSteps.length === 0 ? '0' : `${failedSteps.length}: ${failedSteps.join(', ')}`,
      target: `≤ ${t.maxFailedSteps}`,
      passed: failedSteps.length <= t.maxFailedSteps,
    },
  );
  if (revertVerified !== null) {
    measures.push({
      name: 'revert verified',
      value: revertSummary(f),
      target: 'all',
      passed: revertVerified,
    });
  }
  return {
    schedule: f.scheduleId,
    mode: f.mode,
    trigger: f.trigger,
    dueAt: f.dueAt.toISOString(),
    startedAt: f.startedAt.toISOString(),
    scoredAt: f.now.toISOString(),
    runId: f.run.id,
    runStatus: f.run.status,
    inject: f.inject,
    detected,
    timeToDetectMs,
    timeToMitigateMs,
    firstMitigation: mitigation?.step ?? null,
    approvalWaitMs,
    approvals: f.approvals.length,
    failedSteps,
    revertVerified,
    measures,
    passed: measures.every((m) => m.passed !== false),
  };
}

/** A live drill's run that succeeded and was then rolled back by the scheduler ends compensated. */
function runMeasure(f: DrillFacts): Measure {
  const rolledBack = f.run.status === 'compensated' && f.run.error?.code === DRILL_ROLLBACK;
  return {
    name: 'run',
    value: rolledBack ? 'succeeded, then rolled back' : f.run.status,
    target: 'succeeded',
    passed: f.run.status === 'succeeded' || rolledBack,
  };
}

function within(name: string, valueMs: number | null, targetMs: number | null, note: string): Measure {
  return {
    name,
    value: valueMs === null ? 'none' : `${duration(valueMs)}${note}`,
    target: targetMs === null ? '' : `≤ ${duration(targetMs)}`,
    passed: targetMs === null ? null : valueMs !== null && valueMs <= targetMs,
  };
}

/** The first mitigation applied (live) or recorded as "would apply" (dry run). */
function firstMitigation(f: DrillFacts): { step: string; at: number } | null {
  let first: { step: string; at: number } | null = null;
  for (const s of f.steps) {
    if (s.kind !== 'mitigation') continue;
    const at =
      f.mode === 'live'
        ? typeof s.state?.appliedAt === 'string'
          ? Date.parse(s.state.appliedAt)
          : null
        : s.status === 'succeeded' && (s.output as { dryRun?: unknown } | null)?.dryRun === true
          ? (s.finishedAt?.getTime() ?? null)
          : null;
    if (at !== null && !Number.isNaN(at) && (first === null || at < first.at))
      first = { step: s.stepKey, at };
  }
  return first;
}

function appliedMitigations(f: DrillFacts): readonly StepRecord[] {
  return f.steps.filter((s) => s.kind === 'mitigation' && s.appliedSeq !== null);
}

function revertsVerified(f: DrillFacts): boolean {
  return appliedMitigations(f).every(
    (s) => s.status === 'reverted' || (!f.settings.rollback && s.state?.verified === true),
  );
}

function revertSummary(f: DrillFacts): string {
  const applied = appliedMitigations(f);
  if (applied.length === 0) return 'nothing applied';
  const reverted = applied.filter((s) => s.status === 'reverted').length;
  const verified = applied.filter((s) => s.status !== 'reverted' && s.state?.verified === true).length;
  return `${reverted} of ${applied.length} reverted${verified > 0 ? `, ${verified} kept and verified` : ''}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

/** The scorecard as table evidence: { columns, rows }, as the postmortem renders tables. */
export function scorecardTable(card: Scorecard): { columns: string[]; rows: string[][] } {
  return {
    columns: ['measure', 'value', 'target', 'result'],
    rows: card.measures.map((m) => [
      m.name,
      m.value,
      m.target,
      m.passed === null ? '' : m.passed ? 'pass' : 'FAIL',
    ]),
  };
}

/** The error a live drill's run is made to compensate with after it succeeded (rollback). */
export const DRILL_ROLLBACK_ERROR = {
  name: 'DrillRollback',
  code: DRILL_ROLLBACK,
  message: 'game day: reverting what the drill applied after the run succeeded',
  nonRetryable: true,
} as const;

/** What the scorecard leaves on the drill's incident: table evidence and a timeline entry. */
export function scorecardWrite(fire: Pick<FireRecord, 'id' | 'scheduleId'>, card: Scorecard): ScorecardWrite {
  const content = JSON.stringify(scorecardTable(card));
  return {
    passed: card.passed,
    card,
    evidence: {
      id: randomUUID(),
      title: `Game day scorecard: ${fire.scheduleId} (${card.passed ? 'passed' : 'FAILED'})`,
      content,
      contentHash: createHash('sha256').update(`table\n${content}`).digest('hex'),
    },
    event: {
      fireId: fire.id,
      passed: card.passed,
      timeToDetectMs: card.timeToDetectMs,
      timeToMitigateMs: card.timeToMitigateMs,
      approvalWaitMs: card.approvalWaitMs,
      failedSteps: card.failedSteps,
      revertVerified: card.revertVerified,
    },
  };
}
