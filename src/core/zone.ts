// UTC offsets of an IANA time zone, read from Intl (Node's bundled ICU tzdata), so schedule maths does not
// depend on the process time zone or on a date library's own DST handling.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** A change of UTC offset: instants from `at` on carry `after`, earlier ones `before` (milliseconds east of UTC). */
export interface OffsetTransition {
  at: number;
  before: number;
  after: number;
}

// No DST shift in tzdata exceeds 2 hours, so a transition that still affects an instant lies within this window.
const TRANSITION_LOOKBACK_MS = 3 * HOUR_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    // h23: some ICU versions print midnight as "24" with hour12: false.
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
  return formatter;
}

/** True when Intl knows the zone (IANA names and their aliases; raw offsets such as "+01:00" are refused). */
export function isKnownTimeZone(timezone: string): boolean {
  try {
    formatterFor(timezone);
    return true;
  } catch {
    return false;
  }
}

/** UTC offset in milliseconds at an instant (Europe/Berlin in winter: 3_600_000). */
export function offsetAt(timezone: string, instant: number): number {
  const second = Math.floor(instant / 1000) * 1000;
  const fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timezone).formatToParts(second)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  const wall = new Date(0);
  // setUTCFullYear rather than Date.UTC, which maps years 0-99 to 1900-1999.
  wall.setUTCFullYear(fields.year, fields.month - 1, fields.day);
  wall.setUTCHours(fields.hour, fields.minute, fields.second, 0);
  return wall.getTime() - second;
}

/** Binary search for the first instant in (lo, hi] whose offset differs from the offset at lo. */
function bisect(timezone: string, lo: number, hi: number, offsetAtLo: number): number {
  let low = lo;
  let high = hi;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetAt(timezone, mid) === offsetAtLo) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * First instant in (from, to] where the offset changes, or null. Samples once a day, which assumes transitions
 * are more than a day apart (true of every zone in tzdata for the dates a scheduler meets).
 */
export function findTransition(timezone: string, from: number, to: number): number | null {
  const base = offsetAt(timezone, from);
  let previous = from;
  while (previous < to) {
    const probe = Math.min(previous + DAY_MS, to);
    if (offsetAt(timezone, probe) !== base) return bisect(timezone, previous, probe, base);
    previous = probe;
  }
  return null;
}

/** The transition at or shortly before `instant` (within the longest DST shift), if any. */
export function recentTransition(timezone: string, instant: number): OffsetTransition | null {
  const start = instant - TRANSITION_LOOKBACK_MS;
  const at = findTransition(timezone, start, instant);
  if (at === null) return null;
  return { at, before: offsetAt(timezone, at - 1), after: offsetAt(timezone, at) };
}
