import { describe, expect, test } from 'vitest';
import { parseSchedule, type Schedule } from '../../src/core/cron.ts';
import { MISSED_SCAN_LIMIT, planCatchUp, SKIPPED_LIST_LIMIT } from '../../src/gamedays/catch-up.ts';

function schedule(expr: string, timezone = 'Europe/Berlin'): Schedule {
  const parsed = parseSchedule(expr, timezone);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.schedule;
}

const MINUTE = 60_000;
// Wednesdays 10:00 Europe/Berlin; in January that is 09:00 UTC (2025-01-01 is a Wednesday).
const wednesday10 = schedule('0 10 * * 3');

function plan(options: {
  schedule?: Schedule;
  createdAt?: string;
  lastFiredAt?: string | null;
  now: string;
  graceMs?: number;
}) {
  const result = planCatchUp({
    schedule: options.schedule ?? wednesday10,
    createdAt: new Date(options.createdAt ?? '2024-12-01T00:00:00Z'),
    lastFiredAt: options.lastFiredAt ? new Date(options.lastFiredAt) : null,
    now: new Date(options.now),
    graceMs: options.graceMs ?? 15 * MINUTE,
  });
  return {
    ...result,
    fire: result.fire?.toISOString() ?? null,
    skipped: result.skipped.map((d) => d.toISOString()),
    nextDueAt: result.nextDueAt.toISOString(),
  };
}

describe('planCatchUp', () => {
  test('nothing due yet', () => {
    expect(plan({ lastFiredAt: '2025-01-01T09:00:00Z', now: '2025-01-08T08:59:59Z' })).toEqual({
      fire: null,
      skipped: [],
      skippedCount: 0,
      skippedCountExact: true,
      nextDueAt: '2025-01-08T09:00:00.000Z',
    });
  });

  test('an on-time tick fires the due time, including exactly at the due instant', () => {
    expect(plan({ lastFiredAt: '2025-01-01T09:00:00Z', now: '2025-01-08T09:00:00Z' })).toEqual({
      fire: '2025-01-08T09:00:00.000Z',
      skipped: [],
      skippedCount: 0,
      skippedCountExact: true,
      nextDueAt: '2025-01-15T09:00:00.000Z',
    });
  });

  test('a missed due time within grace fires late; grace is inclusive', () => {
    const late = plan({
      lastFiredAt: '2025-01-01T09:00:00Z',
      now: '2025-01-08T09:15:00Z',
      graceMs: 15 * MINUTE,
    });
    expect(late.fire).toBe('2025-01-08T09:00:00.000Z');
    expect(late.skipped).toEqual([]);
  });

  test('a missed due time beyond grace is skipped, not fired', () => {
    expect(plan({ lastFiredAt: '2025-01-01T09:00:00Z', now: '2025-01-08T09:15:00.001Z' })).toEqual({
      fire: null,
      skipped: ['2025-01-08T09:00:00.000Z'],
      skippedCount: 1,
      skippedCountExact: true,
      nextDueAt: '2025-01-15T09:00:00.000Z',
    });
  });

  test('after a long outage only the most recent due time fires; the others are skipped, oldest first', () => {
    expect(plan({ lastFiredAt: '2024-12-25T09:00:00Z', now: '2025-01-22T09:05:00Z' })).toEqual({
      fire: '2025-01-22T09:00:00.000Z',
      skipped: ['2025-01-01T09:00:00.000Z', '2025-01-08T09:00:00.000Z', '2025-01-15T09:00:00.000Z'],
      skippedCount: 3,
      skippedCountExact: true,
      nextDueAt: '2025-01-29T09:00:00.000Z',
    });
  });

  test('after a long outage ending past grace, everything is skipped', () => {
    const result = plan({ lastFiredAt: '2024-12-25T09:00:00Z', now: '2025-01-22T12:00:00Z' });
    expect(result.fire).toBeNull();
    expect(result.skippedCount).toBe(4);
    expect(result.skipped.at(-1)).toBe('2025-01-22T09:00:00.000Z');
  });

  test('a schedule that never fired counts from createdAt, exclusive', () => {
    const result = plan({ createdAt: '2025-01-07T12:00:00Z', now: '2025-01-15T09:01:00Z' });
    expect(result.fire).toBe('2025-01-15T09:00:00.000Z');
    expect(result.skipped).toEqual(['2025-01-08T09:00:00.000Z']);
    const createdOnTheDueTime = plan({ createdAt: '2025-01-08T09:00:00Z', now: '2025-01-08T09:01:00Z' });
    expect(createdOnTheDueTime.fire).toBeNull();
    expect(createdOnTheDueTime.skippedCount).toBe(0);
  });

  test('lastFiredAt ahead of a lagging clock: nothing fires twice', () => {
    expect(plan({ lastFiredAt: '2025-01-08T09:00:00Z', now: '2025-01-08T08:59:58Z' })).toMatchObject({
      fire: null,
      skippedCount: 0,
      nextDueAt: '2025-01-15T09:00:00.000Z',
    });
  });

  test('invalid inputs are refused', () => {
    expect(() => plan({ now: '2025-01-08T09:00:00Z', graceMs: -1 })).toThrow(RangeError);
    expect(() => plan({ now: '2025-01-08T09:00:00Z', graceMs: Number.NaN })).toThrow(RangeError);
    expect(() => plan({ now: 'not a date' })).toThrow(RangeError);
    expect(
      plan({
        lastFiredAt: '2024-12-25T09:00:00Z',
        now: '2025-01-22T12:00:00Z',
        graceMs: Number.POSITIVE_INFINITY,
      }).fire,
    ).toBe('2025-01-22T09:00:00.000Z');
  });

  test('many missed fires: the list is capped and the count stays exact below the scan limit', () => {
    // Every minute, down for two days: 2880 missed.
    const result = plan({
      schedule: schedule('* * * * *', 'UTC'),
      lastFiredAt: '2025-06-01T00:00:00Z',
      now: '2025-06-03T00:00:30Z',
      graceMs: MINUTE,
    });
    expect(result.fire).toBe('2025-06-03T00:00:00.000Z');
    expect(result.skipped).toHaveLength(SKIPPED_LIST_LIMIT);
    expect(result.skipped[0]).toBe('2025-06-01T00:01:00.000Z');
    expect(result.skipped.at(-1)).toBe('2025-06-01T01:40:00.000Z');
    expect(result.skippedCount).toBe(2879);
    expect(result.skippedCountExact).toBe(true);
    expect(result.nextDueAt).toBe('2025-06-03T00:01:00.000Z');
  });

  test('an every-second schedule down for a day stops counting at the scan limit', () => {
    const result = plan({
      schedule: schedule('* * * * * *'),
      lastFiredAt: '2025-06-01T00:00:00Z',
      now: '2025-06-02T00:00:00.500Z',
      graceMs: 5_000,
    });
    expect(result.fire).toBe('2025-06-02T00:00:00.000Z');
    expect(result.skipped).toHaveLength(SKIPPED_LIST_LIMIT);
    expect(result.skipped[0]).toBe('2025-06-01T00:00:01.000Z');
    expect(result.skippedCountExact).toBe(false);
    expect(result.skippedCount).toBeGreaterThanOrEqual(MISSED_SCAN_LIMIT);
    expect(result.skippedCount).toBeLessThan(86_400);
    expect(result.nextDueAt).toBe('2025-06-02T00:00:01.000Z');
  });

  test('beyond the scan limit, a stale latest due time is still found and skipped', () => {
    // Every second 09:00-09:59 on Mondays; down three weeks, now is Tuesday.
    const result = plan({
      schedule: schedule('* * 9 * * 1', 'UTC'),
      lastFiredAt: '2025-06-01T00:00:00Z',
      now: '2025-06-24T12:00:00Z',
      graceMs: MINUTE,
    });
    expect(result.fire).toBeNull();
    expect(result.skippedCountExact).toBe(false);
    expect(result.skippedCount).toBeGreaterThan(MISSED_SCAN_LIMIT);
    expect(result.nextDueAt).toBe('2025-06-30T09:00:00.000Z');
    const unlimitedGrace = plan({
      schedule: schedule('* * 9 * * 1', 'UTC'),
      lastFiredAt: '2025-06-01T00:00:00Z',
      now: '2025-06-24T12:00:00Z',
      graceMs: Number.POSITIVE_INFINITY,
    });
    expect(unlimitedGrace.fire).toBe('2025-06-23T09:59:59.000Z');
  });

  describe('across DST (daily 02:30 Europe/Berlin)', () => {
    const daily0230 = schedule('30 2 * * *');

    test('fall back: after firing at 02:30 CEST, 02:30 CET is not due again', () => {
      // cron-parser's prev() from here would answer 01:30Z (02:30 CET).
      expect(
        plan({ schedule: daily0230, lastFiredAt: '2025-10-26T00:30:00Z', now: '2025-10-26T01:45:00Z' }),
      ).toEqual({
        fire: null,
        skipped: [],
        skippedCount: 0,
        skippedCountExact: true,
        nextDueAt: '2025-10-27T01:30:00.000Z',
      });
    });

    test('spring forward: the day the gap swallows 02:30 fires at 03:30 CEST', () => {
      expect(
        plan({ schedule: daily0230, lastFiredAt: '2025-03-29T01:30:00Z', now: '2025-03-30T01:31:00Z' }),
      ).toMatchObject({
        fire: '2025-03-30T01:30:00.000Z',
        skippedCount: 0,
        nextDueAt: '2025-03-31T00:30:00.000Z',
      });
    });
  });
});
