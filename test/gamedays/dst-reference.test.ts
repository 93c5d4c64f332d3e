// Cross-checks the segment walk in src/scheduler/fire-times.ts against a minute-by-minute reading of the DST
// rule (cron.ts header), written independently here: for each instant, decide from its own wall clock whether
// it is due, then compare whole windows and every starting point around each transition.
import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { describe, expect, test } from 'vitest';
import { fireTimesBetween, nextFireAfter, parseSchedule } from '../../src/core/cron.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(timezone: string, instant: number): number {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  const parts = formatter.formatToParts(instant);
  const part = (type: string): number => Number(parts.find((candidate) => candidate.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
}

/** The rule, read pointwise: is this instant (a whole minute) a due time? */
function isDue(matcher: CronExpression, timezone: string, everyHour: boolean, instant: number): boolean {
  // includesDate reads the date in the expression's zone (UTC here), i.e. as a floating wall clock.
  const matches = (wall: number): boolean => matcher.includesDate(new Date(wall));
  const wall = wallClock(timezone, instant);
  const offsetNow = wall - instant;
  const offsetBefore = wallClock(timezone, instant - 3 * HOUR) - (instant - 3 * HOUR);
  if (offsetBefore > offsetNow) {
    // Fall back: the same wall clock was read `fold` earlier, so this is its second occurrence.
    const fold = offsetBefore - offsetNow;
    const secondPass = wallClock(timezone, instant - fold) === wall;
    return matches(wall) && (everyHour || !secondPass);
  }
  if (offsetBefore < offsetNow) {
    // Spring forward: within `gap` of the change, the skipped wall time (read with the old offset) fires here.
    const gap = offsetNow - offsetBefore;
    const shortlyAfterChange = wallClock(timezone, instant - gap) - (instant - gap) === offsetBefore;
    if (shortlyAfterChange && matches(instant + offsetBefore)) return true;
  }
  return matches(wall);
}

const transitions = [
  { timezone: 'Europe/Berlin', at: '2025-03-30T01:00:00Z' },
  { timezone: 'Europe/Berlin', at: '2025-10-26T01:00:00Z' },
  { timezone: 'America/New_York', at: '2025-03-09T07:00:00Z' },
  { timezone: 'America/New_York', at: '2025-11-02T06:00:00Z' },
  // Lord Howe shifts by 30 minutes: 02:00 -> 01:30 in April, 02:00 -> 02:30 in October.
  { timezone: 'Australia/Lord_Howe', at: '2025-04-05T15:00:00Z' },
  { timezone: 'Australia/Lord_Howe', at: '2025-10-04T15:30:00Z' },
];

const expressions = [
  '30 2 * * *',
  '0 2 * * *',
  '15 2 * * *',
  '*/20 2 * * *',
  '30 1,2,3 * * *',
  '0 * * * *',
  '*/15 * * * *',
  '15,45 * * * *',
  '45 1 * * *',
  '0 10 * * 3',
];

describe.each(transitions)('around $at in $timezone', ({ timezone, at }) => {
  const transition = Date.parse(at);
  const from = transition - 4 * HOUR;
  const to = transition + 4 * HOUR;

  test('the zone really changes offset at that instant', () => {
    const before = wallClock(timezone, transition - 1000) - (transition - 1000);
    const after = wallClock(timezone, transition) - transition;
    expect(after).not.toBe(before);
  });

  test.each(expressions)('%s matches the pointwise rule', (expr) => {
    const parsed = parseSchedule(expr, timezone);
    if (!parsed.ok) throw new Error(parsed.reason);
    const { schedule } = parsed;

    const matcher = CronExpressionParser.parse(expr, { tz: 'UTC' });
    const expected: number[] = [];
    for (let instant = from + MINUTE; instant <= to; instant += MINUTE) {
      if (isDue(matcher, timezone, schedule.everyHour, instant)) expected.push(instant);
    }
    const actual = fireTimesBetween(schedule, new Date(from), new Date(to), 10_000).map((d) => d.getTime());
    expect(actual.map((t) => new Date(t).toISOString())).toEqual(
      expected.map((t) => new Date(t).toISOString()),
    );

    // Stateless: from any starting point (every 7 minutes, plus each fire itself), the next fire is the same.
    const starts = [...expected];
    for (let start = from; start < to; start += 7 * MINUTE) starts.push(start);
    for (const start of starts) {
      const want = expected.find((t) => t > start);
      if (want === undefined) continue;
      expect(nextFireAfter(schedule, new Date(start)).toISOString()).toBe(new Date(want).toISOString());
    }
  });
});
