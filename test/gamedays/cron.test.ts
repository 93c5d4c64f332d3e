import { describe, expect, test } from 'vitest';
import { fireTimesBetween, nextFireAfter, parseSchedule, type Schedule } from '../../src/core/cron.ts';

function schedule(expr: string, timezone = 'Europe/Berlin'): Schedule {
  const parsed = parseSchedule(expr, timezone);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
}

const next = (s: Schedule, after: string): string => nextFireAfter(s, new Date(after)).toISOString();
const between = (s: Schedule, from: string, to: string, limit = 1000): string[] =>
  fireTimesBetween(s, new Date(from), new Date(to), limit).map((d) => d.toISOString());

describe('parseSchedule', () => {
  test('accepts 5 fields and 6 fields with seconds, normalising whitespace', () => {
    const five = parseSchedule('  0  10 * * 3 ', 'Europe/Berlin');
    expect(five).toMatchObject({
      ok: true,
      schedule: { expression: '0 10 * * 3', timezone: 'Europe/Berlin' },
    });
    const six = parseSchedule('*/5 * * * * *', 'UTC');
    expect(six).toMatchObject({ ok: true, schedule: { expression: '*/5 * * * * *', everyHour: true } });
    expect(parseSchedule('0 10 * * WED', 'America/New_York').ok).toBe(true);
  });

  test('marks schedules whose hour field covers every hour', () => {
    expect(schedule('*/15 * * * *').everyHour).toBe(true);
    expect(schedule('0 0-23 * * *').everyHour).toBe(true);
    expect(schedule('30 2 * * *').everyHour).toBe(false);
    expect(schedule('0 */2 * * *').everyHour).toBe(false);
  });

  test.each([
    ['', /empty/],
    ['   ', /empty/],
    ['0 10 * *', /4 field\(s\); expected 5/],
    ['0 0 10 * * 3 2025', /7 field\(s\)/],
    ['@daily', /1 field\(s\)/],
    ['61 * * * *', /invalid cron expression "61 \* \* \* \*": .*61/],
    ['0 24 * * *', /invalid cron expression/],
    ['*/0 * * * *', /invalid cron expression/],
    ['0 0 30 2 *', /invalid cron expression/],
    ['nope * * * *', /invalid cron expression/],
    ['H 10 * * *', /H \(random jitter\)/],
    ['0 H(0-5) * * *', /H \(random jitter\)/],
  ])('rejects expression %j', (expr, reason) => {
    const parsed = parseSchedule(expr, 'Europe/Berlin');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  test.each(['Mars/Olympus', 'Europe/Berlinn', '+01:00', 'GMT+1', ''])('rejects time zone %j', (timezone) => {
    const parsed = parseSchedule('0 10 * * 3', timezone);
    expect(parsed).toEqual({
      ok: false,
      reason: `unknown time zone "${timezone}"; use an IANA name such as Europe/Berlin`,
    });
  });
});

describe('nextFireAfter and fireTimesBetween', () => {
  const wednesday10 = schedule('0 10 * * 3');

  test('Wednesday 10:00 Europe/Berlin is 09:00 UTC in winter and 08:00 UTC in summer', () => {
    expect(next(wednesday10, '2025-01-06T12:00:00Z')).toBe('2025-01-08T09:00:00.000Z');
    expect(next(wednesday10, '2025-07-07T12:00:00Z')).toBe('2025-07-09T08:00:00.000Z');
    expect(between(wednesday10, '2025-03-20T00:00:00Z', '2025-04-05T00:00:00Z')).toEqual([
      '2025-03-26T09:00:00.000Z',
      '2025-04-02T08:00:00.000Z',
    ]);
  });

  test('the bounds are exclusive then inclusive, and "after" is strict', () => {
    expect(between(wednesday10, '2025-01-08T09:00:00Z', '2025-01-15T09:00:00Z')).toEqual([
      '2025-01-15T09:00:00.000Z',
    ]);
    expect(next(wednesday10, '2025-01-08T09:00:00Z')).toBe('2025-01-15T09:00:00.000Z');
    expect(next(wednesday10, '2025-01-08T08:59:59.999Z')).toBe('2025-01-08T09:00:00.000Z');
  });

  test('limit keeps the earliest fires; bad arguments are refused', () => {
    expect(between(wednesday10, '2025-01-01T00:00:00Z', '2025-12-31T00:00:00Z', 2)).toEqual([
      '2025-01-01T09:00:00.000Z',
      '2025-01-08T09:00:00.000Z',
    ]);
    expect(between(wednesday10, '2025-01-01T00:00:00Z', '2025-12-31T00:00:00Z', 0)).toEqual([]);
    expect(() => between(wednesday10, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z', -1)).toThrow(
      RangeError,
    );
    expect(() => between(wednesday10, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z', 1.5)).toThrow(
      RangeError,
    );
    expect(() => nextFireAfter(wednesday10, new Date(Number.NaN))).toThrow(RangeError);
  });

  test('every-second schedule', () => {
    const everySecond = schedule('* * * * * *');
    expect(next(everySecond, '2025-06-01T12:00:00.000Z')).toBe('2025-06-01T12:00:01.000Z');
    expect(next(everySecond, '2025-06-01T12:00:00.500Z')).toBe('2025-06-01T12:00:01.000Z');
    expect(between(everySecond, '2025-06-01T12:00:00Z', '2025-06-01T12:00:03Z')).toEqual([
      '2025-06-01T12:00:01.000Z',
      '2025-06-01T12:00:02.000Z',
      '2025-06-01T12:00:03.000Z',
    ]);
    // It keeps ticking once a second through both passes of the repeated autumn hour.
    const acrossFold = between(everySecond, '2025-10-26T00:59:57Z', '2025-10-26T01:00:02Z');
    expect(acrossFold).toHaveLength(5);
    expect(between(everySecond, '2025-10-26T00:00:00Z', '2025-10-26T02:00:00Z', 10_000)).toHaveLength(7200);
  });

  test('far-apart fires (yearly) cross several offset changes', () => {
    const newYear = schedule('0 10 1 1 *');
    expect(between(newYear, '2025-02-01T00:00:00Z', '2028-02-01T00:00:00Z')).toEqual([
      '2026-01-01T09:00:00.000Z',
      '2027-01-01T09:00:00.000Z',
      '2028-01-01T09:00:00.000Z',
    ]);
  });
});

describe('DST spring forward (Europe/Berlin, 2025-03-30 02:00 CET -> 03:00 CEST at 01:00Z)', () => {
  const daily0230 = schedule('30 2 * * *');

  test('02:30 does not exist that day, so it fires once at 03:30 CEST', () => {
    expect(between(daily0230, '2025-03-28T12:00:00Z', '2025-03-31T12:00:00Z')).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:30:00.000Z', // 03:30 CEST, shifted by the gap
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  test('the answer does not depend on where the search starts', () => {
    // cron-parser's next() from 03:00 CEST skips the day; ours still finds the shifted fire.
    expect(next(daily0230, '2025-03-30T00:59:59Z')).toBe('2025-03-30T01:30:00.000Z');
    expect(next(daily0230, '2025-03-30T01:00:00Z')).toBe('2025-03-30T01:30:00.000Z');
    expect(next(daily0230, '2025-03-30T01:29:59Z')).toBe('2025-03-30T01:30:00.000Z');
    expect(next(daily0230, '2025-03-30T01:30:00Z')).toBe('2025-03-31T00:30:00.000Z');
  });

  test('a shifted fire that lands on a regular one is a single fire', () => {
    expect(between(schedule('30 2,3 * * *'), '2025-03-29T23:00:00Z', '2025-03-30T22:00:00Z')).toEqual([
      '2025-03-30T01:30:00.000Z',
    ]);
    expect(between(schedule('0 * * * *'), '2025-03-29T23:30:00Z', '2025-03-30T02:30:00Z')).toEqual([
      '2025-03-30T00:00:00.000Z', // 01:00 CET
      '2025-03-30T01:00:00.000Z', // 03:00 CEST (02:00 shifted onto it)
      '2025-03-30T02:00:00.000Z', // 04:00 CEST
    ]);
  });
});

describe('DST fall back (Europe/Berlin, 2025-10-26 03:00 CEST -> 02:00 CET at 01:00Z)', () => {
  const daily0230 = schedule('30 2 * * *');

  test('the repeated 02:30 fires once, at its first occurrence', () => {
    expect(between(daily0230, '2025-10-24T12:00:00Z', '2025-10-27T12:00:00Z')).toEqual([
      '2025-10-25T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST, first pass only
      '2025-10-27T01:30:00.000Z', // 02:30 CET
    ]);
  });

  test('asking from inside either pass never yields the second 02:30', () => {
    for (const after of [
      '2025-10-26T00:30:00Z',
      '2025-10-26T00:45:00Z',
      '2025-10-26T01:00:00Z',
      '2025-10-26T01:10:00Z',
    ]) {
      expect(next(daily0230, after)).toBe('2025-10-27T01:30:00.000Z');
    }
  });

  test('a schedule restricted to hour 2 runs through the first pass only', () => {
    const fires = between(schedule('*/20 2 * * *'), '2025-10-25T23:00:00Z', '2025-10-26T12:00:00Z');
    expect(fires).toEqual([
      '2025-10-26T00:00:00.000Z',
      '2025-10-26T00:20:00.000Z',
      '2025-10-26T00:40:00.000Z',
    ]);
  });

  test('every-hour schedules follow elapsed time through both passes', () => {
    expect(between(schedule('*/30 * * * *'), '2025-10-25T23:45:00Z', '2025-10-26T02:00:00Z')).toEqual([
      '2025-10-26T00:00:00.000Z', // 02:00 CEST
      '2025-10-26T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T01:00:00.000Z', // 02:00 CET
      '2025-10-26T01:30:00.000Z', // 02:30 CET
      '2025-10-26T02:00:00.000Z', // 03:00 CET
    ]);
  });
});
