// Rows of gameday_schedules and gameday_fires as records, for the statements written by hand
// (src/store/sql/gamedays-*.ts). Either driver: postgres.js returns int8 as text, PGlite as number;
// timestamps may come back as Date or text.
import type { RunStatus } from '../core/status.ts';
import type { Row } from '../db/driver.ts';
import type {
  FireRecord,
  FireSettings,
  InjectOutcome,
  ScheduleRecord,
  Scorecard,
} from './gameday-records.ts';
import { date, str } from './rows.ts';

export function toSchedule(r: Row): ScheduleRecord {
  return {
    id: String(r.id),
    runbookId: String(r.runbook_id),
    gameDayId: String(r.game_day_id),
    cron: String(r.cron),
    timezone: String(r.timezone),
    mode: r.mode as ScheduleRecord['mode'],
    createdAt: date(r.created_at)!,
    handledUntil: date(r.handled_until),
  };
}

export function toFire(r: Row): FireRecord {
  return {
    id: String(r.id),
    scheduleId: String(r.schedule_id),
    dueAt: date(r.due_at)!,
    trigger: r.trigger as FireRecord['trigger'],
    outcome: r.outcome as FireRecord['outcome'],
    mode: r.mode as FireRecord['mode'],
    incidentId: str(r.incident_id),
    runId: str(r.run_id),
    requestedBy: str(r.requested_by),
    firedBy: str(r.fired_by),
    settings: r.settings as FireSettings,
    recordedAt: date(r.recorded_at)!,
    inject: (str(r.inject_status) ?? 'none') as InjectOutcome,
    injectedAt: date(r.injected_at),
    injectError: r.inject_error ?? null,
    detectFromSeq: r.detect_from_seq == null ? null : Number(r.detect_from_seq),
    detectDeadline: date(r.detect_deadline),
    detectedAt: date(r.detected_at),
    detectedAlert: r.detected_alert ?? null,
    rollbackRequestedAt: date(r.rollback_requested_at),
    scoredAt: date(r.scored_at),
    passed: r.passed == null ? null : Boolean(r.passed),
    scorecard: (r.scorecard ?? null) as Scorecard | null,
    runStatus: (str(r.run_status) ?? null) as RunStatus | null,
  };
}
