// Catch-up rule for game-day fires that came due while no replica was running (ARCHITECTURE.md, "Game days").
//
// Missed due times are those in (since, now], where since = lastFiredAt, or createdAt when the schedule has
// never fired. Inclusive of now, so the ordinary on-time tick is the same decision with one missed due time.
// - Only the most recent missed due time may fire, and only if it is at most graceMs old. A drill that starts
//   hours late, or a burst of back-to-back drills after an outage, would page people for nothing.
// - Every other missed due time, and the most recent one when it is beyond grace, is reported as skipped so
//   the caller can record it. The list holds the oldest SKIPPED_LIST_LIMIT (oldest first: they do not change
//   as now moves, and they show when the gap began); skippedCount counts them all.
// - Counting stops after MISSED_SCAN_LIMIT due times (an every-second schedule down for a day has 86 400);
//   skippedCountExact is then false and skippedCount is a lower bound.
// - nextDueAt is the first due time after now (after lastFiredAt when a replica's clock is behind it).
// Pure: no clock, no I/O; the caller passes now and records the result atomically.

import type { Schedule } from '../core/cron.ts';
import { dueInstantsAfter } from '../core/fire-times.ts';
import { DAY_MS, HOUR_MS } from '../core/zone.ts';

export const SKIPPED_LIST_LIMIT = 100;
export const MISSED_SCAN_LIMIT = 10_000;

export interface CatchUpInput {
  schedule: Schedule;
  /** When the schedule was first registered; the baseline until it has fired once. */
  createdAt: Date;
  lastFiredAt: Date | null;
  now: Date;
  /** How late the most recent missed due time may be and still fire (>= 0, Infinity allowed). */
  graceMs: number;
}

export interface CatchUpPlan {
  /** The due time to fire now, or null. */
  fire: Date | null;
  /** Missed due times that will not fire, oldest first, at most SKIPPED_LIST_LIMIT. */
  skipped: Date[];
  /** All missed due times that will not fire, including those beyond the list. */
  skippedCount: number;
  skippedCountExact: boolean;
  nextDueAt: Date;
}

function timeOf(date: Date, name: string): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError(`${name} is an invalid Date`);
  return time;
}

export function planCatchUp(input: CatchUpInput): CatchUpPlan {
  const { schedule, graceMs } = input;
  if (Number.isNaN(graceMs) || graceMs < 0) {
    throw new RangeError(`graceMs must be a non-negative number, got ${graceMs}`);
  }
  const since =
    input.lastFiredAt === null
      ? timeOf(input.createdAt, 'createdAt')
      : timeOf(input.lastFiredAt, 'lastFiredAt');
  const now = timeOf(input.now, 'now');

  // One more than the list limit, so the list stays full after the fired due time is taken out of it.
  const oldest: number[] = [];
  let missedCount = 0;
  let latest: number | null = null;
  let exact = true;
  for (const due of dueInstantsAfter(schedule, since)) {
    if (due > now) break;
    if (missedCount === MISSED_SCAN_LIMIT) {
      exact = false;
      missedCount += 1; // this one is missed too; more may follow
      break;
    }
    missedCount += 1;
    latest = due;
    if (oldest.length <= SKIPPED_LIST_LIMIT) oldest.push(due);
  }
  if (!exact) latest = latestDueAtOrBefore(schedule, since, now);

  const fire = latest !== null && now - latest <= graceMs ? latest : null;
  const skipped = oldest.filter((due) => due !== fire).slice(0, SKIPPED_LIST_LIMIT);
  const nextDueAt: number = dueInstantsAfter(schedule, Math.max(now, since)).next().value;
  return {
    fire: fire === null ? null : new Date(fire),
    skipped: skipped.map((due) => new Date(due)),
    skippedCount: missedCount - (fire === null ? 0 : 1),
    skippedCountExact: exact,
    nextDueAt: new Date(nextDueAt),
  };
}

// Widening windows back from now: a dense schedule finds its latest due time in the first minute without
// walking the whole outage; a sparse one (yearly, leap day) still finds it within a few windows.
const LOOKBACK_WINDOWS_MS = [60_000, HOUR_MS, DAY_MS, 8 * DAY_MS, 64 * DAY_MS, 512 * DAY_MS, 4096 * DAY_MS];

function latestDueAtOrBefore(schedule: Schedule, since: number, now: number): number | null {
  for (const window of [...LOOKBACK_WINDOWS_MS, Number.POSITIVE_INFINITY]) {
    const start = Math.max(since, now - window);
    let latest: number | null = null;
    for (const due of dueInstantsAfter(schedule, start)) {
      if (due > now) break;
      latest = due;
    }
    if (latest !== null || start === since) return latest;
  }
  return null;
}
