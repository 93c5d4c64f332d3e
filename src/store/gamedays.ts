// The game-day scheduler's reads and writes (gameday_schedules, gameday_fires and what a drill writes on
// its incident). Statements on a tick's path are in src/store/sql/gamedays-*.ts; the reads behind the API
// and the CLI use drizzle's builder, typed by src/db/schema.ts.
import { count, desc, eq, getTableColumns, isNull } from 'drizzle-orm';
import type { SqlDriver } from '../db/driver.ts';
import { type Db as Drizzle, drizzleOf } from '../db/drizzle.ts';
import { gamedayFires, gamedaySchedules, runs } from '../db/schema.ts';
import type {
  AlertArrival,
  DeclaredSchedule,
  FirePayload,
  FireRecord,
  FireResult,
  FireSettings,
  InjectOutcome,
  ScheduleRecord,
  Scorecard,
  ScorecardWrite,
} from './gameday-records.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from './records.ts';
import {
  alertsAfter,
  drillSnapshot,
  markInjectsLost,
  recordDetection,
  recordInject,
  requestRollback,
} from './sql/gamedays-follow-up.ts';
import {
  fireGameDay,
  latestFires,
  openFires,
  removeUndeclaredSchedules,
  upsertSchedules,
} from './sql/gamedays-schedules.ts';
import {
  insertIncidentEvent,
  insertTableEvidence,
  markScored,
  resolveDrillIncident,
} from './sql/gamedays-scorecard.ts';
import type { Store } from './store.ts';

/** The game-day store over the database of `store`. */
export function gameDayStoreOf(store: Store): GameDayStore {
  return new GameDayStore(store.driver);
}

export class GameDayStore {
  private readonly orm: Drizzle;

  constructor(private readonly db: SqlDriver) {
    this.orm = drizzleOf(db);
  }

  async sync(declared: readonly DeclaredSchedule[], loadedRunbooks: readonly string[], now: Date) {
    if (declared.length > 0) await upsertSchedules(this.db, { schedules: declared, now });
    await removeUndeclaredSchedules(this.db, { loadedRunbooks, declared: declared.map((d) => d.id), now });
  }

  async schedules(): Promise<ScheduleRecord[]> {
    const rows = await this.orm
      .select()
      .from(gamedaySchedules)
      .where(isNull(gamedaySchedules.removedAt))
      .orderBy(gamedaySchedules.id);
    return rows.map((r) => ({
      id: r.id,
      runbookId: r.runbookId,
      gameDayId: r.gameDayId,
      cron: r.cron,
      timezone: r.timezone,
      mode: r.mode as ScheduleRecord['mode'],
      createdAt: r.createdAt,
      handledUntil: r.handledUntil,
    }));
  }

  fire(payload: FirePayload, now: Date): Promise<FireResult> {
    return fireGameDay(this.db, { payload, now });
  }

  async fireById(id: string): Promise<FireRecord | null> {
    const [row] = await this.firesJoined().where(eq(gamedayFires.id, id));
    return row ? fireRecord(row) : null;
  }

  /** Fired drills without a scorecard yet, oldest first. */
  openFires(limit = 200): Promise<FireRecord[]> {
    return openFires(this.db, { limit });
  }

  /** Fires of one schedule, newest first (skipped due times included). */
  async firesOf(scheduleId: string, limit = 100): Promise<FireRecord[]> {
    const rows = await this.firesJoined()
      .where(eq(gamedayFires.scheduleId, scheduleId))
      .orderBy(desc(gamedayFires.dueAt), desc(gamedayFires.recordedAt))
      .limit(limit);
    return rows.map(fireRecord);
  }

  /** The latest fired drill of each schedule, or with `scored` the latest one that has a scorecard. */
  async latestFires(scored: boolean): Promise<Map<string, FireRecord>> {
    const fires = await latestFires(this.db, { scored });
    return new Map(fires.map((f) => [f.scheduleId, f]));
  }

  async skippedCounts(): Promise<Map<string, number>> {
    const rows = await this.orm
      .select({ scheduleId: gamedayFires.scheduleId, n: count() })
      .from(gamedayFires)
      .where(eq(gamedayFires.outcome, 'skipped'))
      .groupBy(gamedayFires.scheduleId);
    return new Map(rows.map((r) => [r.scheduleId, Number(r.n)]));
  }

  async recordInject(
    fireId: string,
    result: { status: 'injected' | 'failed'; at: Date; error: unknown; detectDeadline: Date | null },
    data: Record<string, unknown>,
  ): Promise<void> {
    await recordInject(this.db, { fireId, ...result, data });
  }

  markInjectsLost(firedBefore: Date, now: Date): Promise<number> {
    return markInjectsLost(this.db, { firedBefore, now });
  }

  /** Firing alerts journalled after `seq` that arrived in [from, until]. */
  alertsAfter(seq: number, from: Date, until: Date): Promise<AlertArrival[]> {
    return alertsAfter(this.db, { seq, from, until });
  }

  recordDetection(fire: FireRecord, alert: AlertArrival, timeToDetectMs: number, now: Date) {
    return recordDetection(this.db, { fireId: fire.id, alert, timeToDetectMs, now });
  }

  drillSnapshot(
    runId: string,
  ): Promise<{ run: RunRecord; steps: StepRecord[]; approvals: ApprovalRecord[] } | null> {
    return drillSnapshot(this.db, { runId });
  }

  /** Returns true when the run was made to compensate (it had applied mitigations left). */
  requestRollback(fire: FireRecord, error: unknown, now: Date): Promise<boolean> {
    return requestRollback(this.db, { fireId: fire.id, runId: fire.runId, error, now });
  }

  /**
   * Settles the drill with its scorecard: stored on the fire, attached to the drill incident as table
   * evidence, on its timeline, and the incident resolved. False when another replica scored it first.
   */
  writeScorecard(fire: FireRecord, write: ScorecardWrite, now: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await markScored(tx, { fireId: fire.id, now, passed: write.passed, scorecard: write.card })))
        return false;
      await insertTableEvidence(tx, {
        ...write.evidence,
        runId: fire.runId,
        incidentId: fire.incidentId,
        now,
      });
      await insertIncidentEvent(tx, {
        incidentId: fire.incidentId,
        type: 'gameday.scorecard',
        data: write.event,
        at: now,
      });
      await resolveDrillIncident(tx, { incidentId: fire.incidentId, now });
      return true;
    });
  }

  private firesJoined() {
    return this.orm
      .select({ ...getTableColumns(gamedayFires), runStatus: runs.status })
      .from(gamedayFires)
      .leftJoin(runs, eq(runs.id, gamedayFires.runId))
      .$dynamic();
  }
}

type FireRow = typeof gamedayFires.$inferSelect & { runStatus: string | null };

function fireRecord(r: FireRow): FireRecord {
  return {
    id: r.id,
    scheduleId: r.scheduleId,
    dueAt: r.dueAt,
    trigger: r.trigger as FireRecord['trigger'],
    outcome: r.outcome as FireRecord['outcome'],
    mode: r.mode as FireRecord['mode'],
    incidentId: r.incidentId,
    runId: r.runId,
    requestedBy: r.requestedBy,
    firedBy: r.firedBy,
    settings: r.settings as FireSettings,
    recordedAt: r.recordedAt,
    inject: (r.injectStatus ?? 'none') as InjectOutcome,
    injectedAt: r.injectedAt,
    injectError: r.injectError ?? null,
    detectFromSeq: r.detectFromSeq,
    detectDeadline: r.detectDeadline,
    detectedAt: r.detectedAt,
    detectedAlert: r.detectedAlert ?? null,
    rollbackRequestedAt: r.rollbackRequestedAt,
    scoredAt: r.scoredAt,
    passed: r.passed,
    scorecard: (r.scorecard ?? null) as Scorecard | null,
    runStatus: r.runStatus as FireRecord['runStatus'],
  };
}
