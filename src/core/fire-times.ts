// Due instants of a schedule in ascending order, applying the DST rule stated in cron.ts.
//
// cron-parser only answers "which wall-clock times match": it runs in UTC over a floating wall clock, where no
// DST exists. This file maps those wall-clock times to instants one constant-offset segment at a time, because
// cron-parser's own zone-aware iteration gives different answers around DST depending on where it starts.

import { CronExpressionParser } from 'cron-parser';
import type { Schedule } from './cron.ts';
import { DAY_MS, findTransition, type OffsetTransition, offsetAt, recentTransition } from './zone.ts';

/** Wall-clock times (as UTC-floating epoch ms) matching the expression, strictly after `afterWall`. */
function wallClockMatches(expression: string, afterWall: number): () => number {
  const iterator = CronExpressionParser.parse(expression, { currentDate: new Date(afterWall), tz: 'UTC' });
  return () => iterator.next().getTime();
}

/**
 * Due instants strictly after `after` (epoch ms), ascending, without duplicates. Infinite: callers stop it.
 * Stateless in the sense that matters for replicas: the answer for `after` never depends on earlier calls.
 */
export function* dueInstantsAfter(schedule: Schedule, after: number): Generator<number, never, undefined> {
  const zone = schedule.timezone;
  let lower = after; // exclusive bound, in instants
  let offset = offsetAt(zone, lower + 1);
  // A transition just behind us still matters: the fold filter and gap shifts apply for up to its shift.
  let edge: OffsetTransition | null = recentTransition(zone, lower + 1);

  for (;;) {
    // Segment: instants after `lower` that carry `offset`, up to the next transition (found lazily).
    const segmentOffset = offset;
    const segmentEdge = edge;
    const regularWall = wallClockMatches(schedule.expression, lower + segmentOffset);
    // Instants in (lower, checkedUntil] are known to carry segmentOffset unless segmentEnd says otherwise.
    let checkedUntil = lower + 1;
    let segmentEnd: number | null = null;

    const nextRegular = (): number | null => {
      for (;;) {
        const instant = regularWall() - segmentOffset;
        if (segmentEnd === null && instant > checkedUntil) {
          // Look a day ahead at once so dense schedules (every second) do not query Intl for every fire.
          const horizon = Math.max(instant, checkedUntil + DAY_MS);
          segmentEnd = findTransition(zone, checkedUntil, horizon);
          checkedUntil = horizon;
        }
        if (segmentEnd !== null && instant >= segmentEnd) return null;
        const inFold =
          segmentEdge !== null &&
          segmentEdge.before > segmentEdge.after &&
          instant < segmentEdge.at + (segmentEdge.before - segmentEdge.after);
        // Second pass through a repeated wall-clock hour: already fired in the first pass.
        if (inFold && !schedule.everyHour) continue;
        return instant;
      }
    };

    const nextShifted = gapShiftedInstants(schedule.expression, segmentEdge, lower);

    let regular = nextRegular();
    let shifted = nextShifted();
    for (;;) {
      if (shifted !== null && (regular === null || shifted <= regular)) {
        yield shifted;
        if (shifted === regular) regular = nextRegular();
        shifted = nextShifted();
      } else if (regular !== null) {
        yield regular;
        regular = nextRegular();
      } else {
        break;
      }
    }

    // The regular stream only ends at a transition; continue in the next segment.
    if (segmentEnd === null) throw new Error('schedule iteration ended without reaching an offset change');
    const at: number = segmentEnd;
    offset = offsetAt(zone, at);
    edge = { at, before: segmentOffset, after: offset };
    lower = at - 1;
  }
}

/**
 * After a spring-forward transition, wall-clock times inside the gap (02:00-02:59 in Europe/Berlin) do not exist.
 * A due time there fires at the instant the pre-transition offset gives it, i.e. shifted forward by the gap
 * (02:30 fires at 03:30 CEST). Returns a stream of those instants after `lower`, ending with null.
 */
function gapShiftedInstants(
  expression: string,
  edge: OffsetTransition | null,
  lower: number,
): () => number | null {
  if (edge === null || edge.after <= edge.before) return () => null;
  const { at, before, after } = edge;
  const gapEndWall = at + after;
  const nextWall = wallClockMatches(expression, Math.max(lower, at - 1) + before);
  let done = false;
  return () => {
    if (done) return null;
    const wall = nextWall();
    if (wall >= gapEndWall) {
      done = true;
      return null;
    }
    return wall - before;
  };
}
