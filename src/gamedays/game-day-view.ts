// What GET /api/gamedays and `firebreak gameday list` show of each schedule: the next due time, the last
// fire and the last scorecard.

import { nextFireAfter, parseSchedule } from '../core/cron.ts';
import type { RunbookRegistry } from '../runbooks/registry.ts';
import type { FireRecord } from '../store/gameday-records.ts';
import type { GameDayStore } from '../store/gamedays.ts';
import { declaredGameDays } from './game-days.ts';

export interface GameDayView {
  id: string;
  runbookId: string;
  gameDayId: string;
  cron: string;
  timezone: string;
  mode: 'dry-run' | 'live';
  /** This process loaded the runbook (only such processes fire it). */
  loaded: boolean;
  nextDueAt: Date | null;
  /** Due times up to here are handled (fired or skipped). */
  handledUntil: Date | null;
  skipped: number;
  lastFire: Pick<
    FireRecord,
    'id' | 'dueAt' | 'trigger' | 'recordedAt' | 'incidentId' | 'runId' | 'runStatus' | 'scoredAt'
  > | null;
  lastScorecard: Pick<FireRecord, 'id' | 'incidentId' | 'scoredAt' | 'passed' | 'scorecard'> | null;
}

export async function listGameDays(
  store: GameDayStore,
  registry: RunbookRegistry,
  now: Date,
): Promise<GameDayView[]> {
  const [schedules, lastFired, lastScored, skipped] = await Promise.all([
    store.schedules(),
    store.latestFires(false),
    store.latestFires(true),
    store.skippedCounts(),
  ]);
  const loaded = new Set(declaredGameDays(registry).map((d) => d.scheduleId));
  return schedules.map((s) => {
    const parsed = parseSchedule(s.cron, s.timezone);
    const after = s.handledUntil && s.handledUntil > now ? s.handledUntil : now;
    const fire = lastFired.get(s.id);
    const scored = lastScored.get(s.id);
    return {
      id: s.id,
      runbookId: s.runbookId,
      gameDayId: s.gameDayId,
      cron: s.cron,
      timezone: s.timezone,
      mode: s.mode,
      loaded: loaded.has(s.id),
      nextDueAt: parsed.ok ? nextFireAfter(parsed.schedule, after) : null,
      handledUntil: s.handledUntil,
      skipped: skipped.get(s.id) ?? 0,
      lastFire: fire
        ? {
            id: fire.id,
            dueAt: fire.dueAt,
            trigger: fire.trigger,
            recordedAt: fire.recordedAt,
            incidentId: fire.incidentId,
            runId: fire.runId,
            runStatus: fire.runStatus,
            scoredAt: fire.scoredAt,
          }
        : null,
      lastScorecard: scored
        ? {
            id: scored.id,
            incidentId: scored.incidentId,
            scoredAt: scored.scoredAt,
            passed: scored.passed,
            scorecard: scored.scorecard,
          }
        : null,
    };
  });
}
