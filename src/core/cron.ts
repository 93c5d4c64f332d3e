// Game-day schedules: a cron expression evaluated on the wall clock of an IANA time zone (ARCHITECTURE.md, "Game days").
//
// DST — what cron-parser 5.10.6 does (probed in Europe/Berlin, 2025) and why we do not rely on it:
// - Spring forward (02:00 CET -> 03:00 CEST on 2025-03-30): next() from before the gap fires "30 2 * * *" at
//   03:30 CEST (shifted by the gap), but next() starting at 03:00 CEST skips that day entirely, and prev()
//   never returns the shifted fire.
// - Fall back (03:00 CEST -> 02:00 CET on 2025-10-26): next() from before the fold fires "30 2 * * *" once, at
//   02:30 CEST; but next() starting inside the second 02:xx hour returns 02:30 CET as well, and prev() returns
//   both. "0 * * * *" and "*/30 * * * *" fire in both passes.
// So its answers depend on the starting point. Replicas ask "what is due after X" for arbitrary X, so we use
// cron-parser only to match wall-clock fields (in UTC, where there is no DST) and map wall-clock times to
// instants ourselves (fire-times.ts), with this rule:
// 1. A due wall-clock time inside a spring-forward gap fires once, shifted forward by the gap length
//    (02:30 -> 03:30 CEST); if that instant is also a regular due time it is still one fire.
// 2. A wall-clock time that occurs twice in a fall-back fold fires only at its first occurrence (CEST), unless
//    the hour field covers all 24 hours: such schedules ("every 15 minutes", "every second") describe elapsed
//    time and keep firing through the repeated hour, so they fire in both passes (as Vixie cron does).
// The result is the same for any starting point: nextFireAfter(s, x) is the first fire of the rule after x.

import { CronExpressionParser } from 'cron-parser';
import { dueInstantsAfter } from './fire-times.ts';
import { isKnownTimeZone } from './zone.ts';

declare const validSchedule: unique symbol;

/** A cron expression and time zone that parseSchedule accepted; only parseSchedule creates one. */
export interface Schedule {
  /** The expression with whitespace normalised: 5 fields, or 6 with seconds first. */
  readonly expression: string;
  readonly timezone: string;
  /** The hour field matches all 24 hours, so the schedule fires in both passes of a fall-back fold. */
  readonly everyHour: boolean;
  readonly [validSchedule]: true;
}

export type ParseScheduleResult = { ok: true; schedule: Schedule } | { ok: false; reason: string };

// Validation asks for one fire from here, so an expression that can never match is refused up front.
const VALIDATION_START = new Date('2000-01-01T00:00:00Z');

/**
 * Parsing asks cron-parser for a fire, which is not cheap, and the scheduler asks about every declared
 * schedule at every tick: the answers, pure in (expr, timezone), are kept. A registry holds a handful of
 * game days; the bound only guards against a caller that parses user input in a loop.
 */
const parsedSchedules = new Map<string, ParseScheduleResult>();
const PARSED_SCHEDULES_LIMIT = 1_000;

export function parseSchedule(expr: string, timezone: string): ParseScheduleResult {
  const key = `${expr}\n${timezone}`;
  const known = parsedSchedules.get(key);
  if (known) return known;
  const result = parseUncached(expr, timezone);
  if (parsedSchedules.size >= PARSED_SCHEDULES_LIMIT) parsedSchedules.clear();
  parsedSchedules.set(key, result);
  return result;
}

function parseUncached(expr: string, timezone: string): ParseScheduleResult {
  const fields = expr
    .trim()
    .split(/\s+/)
    .filter((field) => field !== '');
  if (fields.length === 0) return { ok: false, reason: 'cron expression is empty' };
  if (fields.length !== 5 && fields.length !== 6) {
    return {
      ok: false,
      reason:
        `cron expression "${expr}" has ${fields.length} field(s); expected 5 (minute hour day-of-month month ` +
        'day-of-week) or 6 (second first)',
    };
  }
  // cron-parser's H picks a random value per parse unless seeded; replicas would disagree on the due time.
  if (fields.some((field) => field.split(',').some((item) => /^h/i.test(item)))) {
    return { ok: false, reason: `cron expression "${expr}" uses H (random jitter), which is not supported` };
  }
  if (!isKnownTimeZone(timezone)) {
    return { ok: false, reason: `unknown time zone "${timezone}"; use an IANA name such as Europe/Berlin` };
  }
  const expression = fields.join(' ');
  let everyHour: boolean;
  try {
    const parsed = CronExpressionParser.parse(expression, { currentDate: VALIDATION_START, tz: 'UTC' });
    parsed.next();
    everyHour = parsed.fields.hour.values.length === 24;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `invalid cron expression "${expr}": ${message}` };
  }
  return { ok: true, schedule: { expression, timezone, everyHour } as Schedule };
}

function timeOf(date: Date, name: string): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError(`${name} is an invalid Date`);
  return time;
}

/** The first due time strictly after `after`. */
export function nextFireAfter(schedule: Schedule, after: Date): Date {
  return new Date(dueInstantsAfter(schedule, timeOf(after, 'after')).next().value);
}

/** Due times in (fromExclusive, toInclusive], ascending, at most `limit` of them (the earliest). */
export function fireTimesBetween(
  schedule: Schedule,
  fromExclusive: Date,
  toInclusive: Date,
  limit: number,
): Date[] {
  if (!Number.isInteger(limit) || limit < 0)
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  const to = timeOf(toInclusive, 'toInclusive');
  const result: Date[] = [];
  if (limit === 0) return result;
  for (const due of dueInstantsAfter(schedule, timeOf(fromExclusive, 'fromExclusive'))) {
    if (due > to) break;
    result.push(new Date(due));
    if (result.length === limit) break;
  }
  return result;
}
