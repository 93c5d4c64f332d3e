// Durations as people write them in runbooks.
import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../src/core/duration.ts';

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2m30s', 150_000],
    ['1h30m', 5_400_000],
    ['1s500ms', 1_500],
    ['1.5s', 1_500],
    ['2d', 172_800_000],
    ['0s', 0],
    [' 45s ', 45_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test('a number is milliseconds already', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration(0)).toBe(0);
  });

  test.each(['', '5', '5 minutes', '15x', '-1s', 'm', '1h 30m', '30s!'])(
    '"%s" is refused with an example',
    (text) => {
      expect(() => parseDuration(text)).toThrow(RangeError);
      expect(() => parseDuration(text)).toThrow(/use e\.g\. 500ms, 30s, 15m, 1h30m/);
    },
  );

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('the number %d is refused', (n) => {
    expect(() => parseDuration(n)).toThrow(RangeError);
  });
});
