// Game days as the database keeps them: the rows of gameday_schedules and gameday_fires, the snapshot a
// drill records when it fires (settings) and the scorecard that ends it (both jsonb), and what one fire
// writes (the argument of firebreak_gameday_fire). src/gamedays plans and scores; src/store/gamedays.ts
// reads and writes these.
import type { RunStatus } from '../core/status.ts';
import type { MatchOp } from '../dsl/triggers.ts';

export interface ScheduleRecord {
  id: string;
  runbookId: string;
  gameDayId: string;
  cron: string;
  timezone: string;
  mode: 'dry-run' | 'live';
  createdAt: Date;
  handledUntil: Date | null;
}

/** A schedule a loaded runbook declares, as gameday_schedules stores it. */
export interface DeclaredSchedule {
  id: string;
  runbookId: string;
  gameDayId: string;
  cron: string;
  timezone: string;
  mode: string;
}

/** A label matcher as JSON (RegExp objects do not survive a jsonb column). */
export interface MatcherSpec {
  label: string;
  op: MatchOp;
  value: string;
  flags: string;
}

export interface FireSettings {
  autoApprove: boolean;
  rollback: boolean;
  inject: boolean;
  detect: { matchers: MatcherSpec[]; withinMs: number } | null;
  targets: {
    detectWithinMs: number | null;
    mitigateWithinMs: number | null;
    approvalWithinMs: number | null;
    maxFailedSteps: number;
  };
}

export type InjectOutcome = 'none' | 'pending' | 'injected' | 'failed' | 'lost';

/** One line of the scorecard; `passed` is null for a measure without a target. */
export interface Measure {
  name: string;
  value: string;
  target: string;
  passed: boolean | null;
}

export interface Scorecard {
  schedule: string;
  mode: 'dry-run' | 'live';
  trigger: string;
  dueAt: string;
  startedAt: string;
  scoredAt: string;
  runId: string;
  runStatus: RunStatus;
  inject: InjectOutcome;
  /** null when the game day does not wait for an alert. */
  detected: boolean | null;
  timeToDetectMs: number | null;
  timeToMitigateMs: number | null;
  firstMitigation: string | null;
  approvalWaitMs: number;
  approvals: number;
  failedSteps: string[];
  /** live: every applied mitigation reverted (or, with rollback off, verified); null in dry-run. */
  revertVerified: boolean | null;
  measures: Measure[];
  passed: boolean;
}

export interface FireRecord {
  id: string;
  scheduleId: string;
  dueAt: Date;
  trigger: 'schedule' | 'manual';
  outcome: 'fired' | 'skipped';
  mode: 'dry-run' | 'live';
  incidentId: string | null;
  runId: string | null;
  requestedBy: string | null;
  firedBy: string | null;
  settings: FireSettings;
  recordedAt: Date;
  inject: InjectOutcome;
  injectedAt: Date | null;
  injectError: unknown;
  detectFromSeq: number | null;
  detectDeadline: Date | null;
  detectedAt: Date | null;
  detectedAlert: unknown;
  rollbackRequestedAt: Date | null;
  scoredAt: Date | null;
  passed: boolean | null;
  scorecard: Scorecard | null;
  /** The status of the drill's run, when the query joined it. */
  runStatus: RunStatus | null;
}

/** The run a fire creates, in the column names firebreak_gameday_fire reads. */
export interface DrillRunRow {
  id: string;
  runbook_id: string;
  runbook_version: string;
  plan: unknown;
  input: unknown;
  dry_run: boolean;
  idempotency_key: string;
  concurrency_key: string | null;
  requested_by: string;
}

/** The argument of firebreak_gameday_fire (src/db/functions/firebreak_gameday_fire.sql). */
export interface FirePayload {
  schedule_id: string;
  trigger: 'schedule' | 'manual';
  mode: string;
  fired_by: string;
  expected_handled_until: string | null;
  handled_until: string | null;
  skipped: string[];
  skipped_count: number;
  skipped_exact: boolean;
  fire: {
    id: string;
    due_at: string;
    settings: unknown;
    inject: boolean;
    detect_within_ms: number | null;
    incident: { id: string; title: string; labels: Record<string, string>; group_key: string };
    run: DrillRunRow;
  } | null;
}

export type FireOutcome = 'fired' | 'skipped' | 'raced' | 'duplicate';

export interface FireResult {
  outcome: FireOutcome;
  fireId: string | null;
  incidentId: string | null;
  runId: string | null;
}

export interface AlertArrival {
  seq: number;
  incidentId: string | null;
  fingerprint: string;
  labels: Record<string, string>;
  at: Date;
}

/** What a drill's scorecard leaves on its incident: a table of evidence and a timeline entry. */
export interface ScorecardWrite {
  passed: boolean;
  /** The whole scorecard (gameday_fires.scorecard). */
  card: unknown;
  evidence: { id: string; title: string; content: string; contentHash: string };
  /** The data of the `gameday.scorecard` event. */
  event: Record<string, unknown>;
}
