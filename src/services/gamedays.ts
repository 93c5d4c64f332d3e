// Game days as the edges use them (API, web, the CLI through the API): the schedules with their next due
// time, last fire and last scorecard; a drill fired now; a drill and its scorecard. The scheduler
// (src/gamedays) fires and follows drills up; this is what a request may ask of it, so no edge reaches
// into its store.

import type { Fired, GameDayScheduler, GameDayView } from '../gamedays/scheduler.ts';
import type { FireRecord, Scorecard } from '../store/gameday-records.ts';

export type { Fired, GameDayView } from '../gamedays/scheduler.ts';
export type { FireRecord, Scorecard } from '../store/gameday-records.ts';

export class GameDays {
  constructor(private readonly scheduler: GameDayScheduler) {}

  /** Every schedule with its next due time, last fire and last scorecard (GET /api/gamedays). */
  list(): Promise<GameDayView[]> {
    return this.scheduler.list();
  }

  /** Fires a drill of the game day now, whatever its schedule; `requestedBy` is "api:alice" and the like. */
  fire(scheduleId: string, requestedBy: string): Promise<Fired> {
    return this.scheduler.runNow(scheduleId, requestedBy);
  }

  /** One drill (a fire): its incident, run, and scorecard once scored; null when there is none. */
  drill(fireId: string): Promise<FireRecord | null> {
    return this.scheduler.store.fireById(fireId);
  }

  /** The fires of one schedule, newest first (skipped due times included). */
  fires(scheduleId: string, limit = 100): Promise<FireRecord[]> {
    return this.scheduler.store.firesOf(scheduleId, limit);
  }

  /** The drill's scorecard; null while it is under way (or when there is no such drill). */
  async scorecard(fireId: string): Promise<Scorecard | null> {
    return (await this.drill(fireId))?.scorecard ?? null;
  }
}

export function gameDaysOf(scheduler: GameDayScheduler): GameDays {
  return new GameDays(scheduler);
}
