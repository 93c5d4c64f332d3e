// The scheduler's reads and writes. Every write that settles something (a due time, an inject, a
// detection, a rollback, a scorecard) is conditional on the row still being unsettled, so replicas doing
// the same follow-up at once leave exactly one result.

import { createHash, randomUUID } from 'node:crypto';
import type { Row, SqlDriver } from '../db/driver.ts';
import type { RunCandidate } from '../ingest/route.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../store/records.ts';
import { toApproval, toRun, toStep } from '../store/rows.ts';
import { type FireRecord, type ScheduleRecord, toFire, toSchedule } from './fire-rows.ts';
import { DRILL_ROLLBACK, type Scorecard, scorecardTable } from './scorecard.ts';
import {
  ALERTS_AFTER_SQL,
  DETECTED_SQL,
  INJECT_SQL,
  LOST_INJECT_SQL,
  ROLLBACK_SQL,
  SNAPSHOT_SQL,
} from './sql/follow-up.ts';
import { LATEST_SQL, OPEN_FIRES_SQL, REMOVE_SQL, SYNC_SQL } from './sql/schedules.ts';
import { EVENT_SQL, EVIDENCE_SQL, RESOLVE_SQL, SCORED_SQL } from './sql/scorecard.ts';

export interface DeclaredSchedule {
  id: string;
  runbookId: string;
  gameDayId: string;
  cron: string;
  timezone: string;
  mode: string;
}

/** The argument of firebreak_gameday_fire (drizzle/0009_gameday_fire_fn.sql). */
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
    run: RunCandidate & { requested_by: string };
  } | null;
}

export type FireOutcome = 'fired' | 'skipped' | 'raced' | 'duplicate';

export interface AlertArrival {
  seq: number;
  incidentId: string | null;
  fingerprint: string;
  labels: Record<string, string>;
  at: Date;
}

const date = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

export class GameDayStore {
  constructor(readonly driver: SqlDriver) {}

  async sync(declared: readonly DeclaredSchedule[], loadedRunbooks: readonly string[], now: Date) {
    const rows = declared.map((d) => ({
      id: d.id,
      runbook_id: d.runbookId,
      game_day_id: d.gameDayId,
      cron: d.cron,
      timezone: d.timezone,
      mode: d.mode,
    }));
    if (rows.length > 0) await this.driver.query(SYNC_SQL, [JSON.stringify(rows), now]);
    await this.driver.query(REMOVE_SQL, [
      JSON.stringify(loadedRunbooks),
      JSON.stringify(declared.map((d) => d.id)),
      now,
    ]);
  }

  async schedules(): Promise<ScheduleRecord[]> {
    const rows = await this.driver.query(
      'SELECT * FROM gameday_schedules WHERE removed_at IS NULL ORDER BY id',
    );
    return rows.map(toSchedule);
  }

  async fire(
    payload: FirePayload,
    now: Date,
  ): Promise<{
    outcome: FireOutcome;
    fireId: string | null;
    incidentId: string | null;
    runId: string | null;
  }> {
    const [row] = await this.driver.query(
      'SELECT outcome, fire_id, incident_id, run_id FROM firebreak_gameday_fire($1::text::jsonb, $2)',
      [JSON.stringify(payload), now],
    );
    const s = (v: unknown) => (v == null ? null : String(v));
    return {
      outcome: String(row!.outcome) as FireOutcome,
      fireId: s(row!.fire_id),
      incidentId: s(row!.incident_id),
      runId: s(row!.run_id),
    };
  }

  async fireById(id: string): Promise<FireRecord | null> {
    const rows = await this.driver.query(
      'SELECT f.*, r.status AS run_status FROM gameday_fires f LEFT JOIN runs r ON r.id = f.run_id WHERE f.id = $1',
      [id],
    );
    return rows[0] ? toFire(rows[0]) : null;
  }

  /** Fired drills without a scorecard yet, oldest first. */
  async openFires(limit = 200): Promise<FireRecord[]> {
    return (await this.driver.query(OPEN_FIRES_SQL, [limit])).map(toFire);
  }

  /** Fires of one schedule, newest first (skipped due times included). */
  async firesOf(scheduleId: string, limit = 100): Promise<FireRecord[]> {
    const rows = await this.driver.query(
      `SELECT f.*, r.status AS run_status FROM gameday_fires f LEFT JOIN runs r ON r.id = f.run_id
       WHERE f.schedule_id = $1 ORDER BY f.due_at DESC, f.recorded_at DESC LIMIT $2`,
      [scheduleId, limit],
    );
    return rows.map(toFire);
  }

  /** The latest fired drill of each schedule, or with `scored` the latest one that has a scorecard. */
  async latestFires(scored: boolean): Promise<Map<string, FireRecord>> {
    const rows = await this.driver.query(LATEST_SQL, [scored]);
    return new Map(rows.map((r) => [String(r.schedule_id), toFire(r)]));
  }

  async skippedCounts(): Promise<Map<string, number>> {
    const rows = await this.driver.query(
      `SELECT schedule_id, count(*)::int AS n FROM gameday_fires WHERE outcome = 'skipped' GROUP BY schedule_id`,
    );
    return new Map(rows.map((r) => [String(r.schedule_id), Number(r.n)]));
  }

  async recordInject(
    fireId: string,
    result: { status: 'injected' | 'failed'; at: Date; error: unknown; detectDeadline: Date | null },
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.driver.query(INJECT_SQL, [
      fireId,
      result.status,
      result.at,
      JSON.stringify(result.error ?? null),
      result.detectDeadline,
      result.status === 'injected' ? 'gameday.injected' : 'gameday.inject_failed',
      JSON.stringify({ fireId, ...data }),
    ]);
  }

  async markInjectsLost(firedBefore: Date, now: Date): Promise<number> {
    return (await this.driver.query(LOST_INJECT_SQL, [firedBefore, now])).length;
  }

  /** Firing alerts journalled after `seq` that arrived in [from, until]. */
  async alertsAfter(seq: number, from: Date, until: Date): Promise<AlertArrival[]> {
    const rows = await this.driver.query(ALERTS_AFTER_SQL, [seq, from, until]);
    return rows.map((r: Row) => {
      const data = (r.data ?? {}) as { fingerprint?: unknown; labels?: unknown };
      return {
        seq: Number(r.seq),
        incidentId: r.incident_id == null ? null : String(r.incident_id),
        fingerprint: String(data.fingerprint ?? ''),
        labels: (data.labels ?? {}) as Record<string, string>,
        at: date(r.at),
      };
    });
  }

  async recordDetection(fire: FireRecord, alert: AlertArrival, timeToDetectMs: number, now: Date) {
    const about = { fingerprint: alert.fingerprint, labels: alert.labels, incidentId: alert.incidentId };
    const [row] = await this.driver.query(DETECTED_SQL, [
      fire.id,
      alert.at,
      JSON.stringify({ ...about, at: alert.at.toISOString() }),
      JSON.stringify({ fireId: fire.id, timeToDetectMs, alert: about, alertAt: alert.at.toISOString() }),
      now,
      alert.incidentId,
    ]);
    return Number(row?.recorded ?? 0) > 0;
  }

  async drillSnapshot(
    runId: string,
  ): Promise<{ run: RunRecord; steps: StepRecord[]; approvals: ApprovalRecord[] } | null> {
    const [row] = await this.driver.query(SNAPSHOT_SQL, [runId]);
    if (!row?.run) return null;
    return {
      run: toRun(row.run as Row),
      steps: (row.steps as Row[]).map(toStep),
      approvals: (row.approvals as Row[]).map(toApproval),
    };
  }

  /** Returns true when the run was made to compensate (it had applied mitigations left). */
  async requestRollback(fire: FireRecord, now: Date): Promise<boolean> {
    const error = {
      name: 'DrillRollback',
      code: DRILL_ROLLBACK,
      message: 'game day: reverting what the drill applied after the run succeeded',
      nonRetryable: true,
    };
    const [row] = await this.driver.query(ROLLBACK_SQL, [fire.runId, JSON.stringify(error), now, fire.id]);
    return Number(row?.reopened ?? 0) > 0;
  }

  /**
   * Settles the drill with its scorecard: stored on the fire, attached to the drill incident as table
   * evidence, on its timeline, and the incident resolved. False when another replica scored it first.
   */
  async writeScorecard(fire: FireRecord, card: Scorecard, now: Date): Promise<boolean> {
    return this.driver.transaction(async (tx) => {
      const [row] = await tx.query(SCORED_SQL, [fire.id, now, card.passed, JSON.stringify(card)]);
      if (!row) return false;
      const table = scorecardTable(card);
      const content = JSON.stringify(table);
      const hash = createHash('sha256').update(`table\n${content}`).digest('hex');
      const title = `Game day scorecard: ${fire.scheduleId} (${card.passed ? 'passed' : 'FAILED'})`;
      await tx.query(EVIDENCE_SQL, [randomUUID(), fire.runId, fire.incidentId, title, content, hash, now]);
      await tx.query(EVENT_SQL, [
        null,
        fire.incidentId,
        'gameday.scorecard',
        JSON.stringify({
          fireId: fire.id,
          passed: card.passed,
          timeToDetectMs: card.timeToDetectMs,
          timeToMitigateMs: card.timeToMitigateMs,
          approvalWaitMs: card.approvalWaitMs,
          failedSteps: card.failedSteps,
          revertVerified: card.revertVerified,
        }),
        now,
      ]);
      await tx.query(RESOLVE_SQL, [fire.incidentId, now]);
      return true;
    });
  }
}
