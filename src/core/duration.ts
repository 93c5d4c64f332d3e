// Durations in runbooks read like people say them: '15m', '2m30s', '500ms', or a number of milliseconds.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

export type Duration = number | string;

export function parseDuration(value: Duration): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`invalid duration ${value}`);
    return value;
  }
  const text = value.trim();
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = PART.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length) {
    throw new RangeError(`invalid duration "${value}" (use e.g. 500ms, 30s, 15m, 1h30m)`);
  }
  return total;
}

/** Why `value` is not a duration, or null when it is one (load-time checks report it with their own label). */
export function durationError(value: unknown): string | null {
  try {
    parseDuration(value as string | number);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
