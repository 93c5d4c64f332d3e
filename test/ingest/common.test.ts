import { describe, expect, test } from 'vitest';
import { groupStatus, nonEmpty, parseDate, stableLabelHash } from '../../src/ingest/sources/common.ts';

describe('stableLabelHash', () => {
  test('does not depend on key order', () => {
    expect(stableLabelHash({ a: '1', b: '2' })).toBe(stableLabelHash({ b: '2', a: '1' }));
  });

  test('tells apart label sets that concatenate alike', () => {
    expect(stableLabelHash({ a: 'bc' })).not.toBe(stableLabelHash({ ab: 'c' }));
    expect(stableLabelHash({ a: '1' })).not.toBe(stableLabelHash({ a: '1', b: '' }));
  });

  test('is 16 hex digits, like an Alertmanager fingerprint', () => {
    expect(stableLabelHash({})).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('parseDate', () => {
  test.each([
    ['2026-09-10T06:25:47.512Z', new Date('2026-09-10T06:25:47.512Z')],
    ['2026-09-10T08:25:47+02:00', new Date('2026-09-10T06:25:47Z')],
    ['0001-01-01T00:00:00Z', null],
    ['9999-12-31T23:59:59Z', new Date('9999-12-31T23:59:59Z')],
    // Year 20267 and beyond: toISOString writes "+020267-…", which PostgreSQL refuses (a 500 before).
    ['20267', null],
    ['+275760-09-13T00:00:00Z', null],
    ['not a date', null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('%s', (text, date) => {
    expect(parseDate(text)).toEqual(date);
  });
});

test('nonEmpty treats blank strings as absent', () => {
  expect([nonEmpty(' x '), nonEmpty('  '), nonEmpty(null), nonEmpty(undefined)]).toEqual([
    'x',
    null,
    null,
    null,
  ]);
});

test('groupStatus fires while the sender or any alert says firing', () => {
  expect(groupStatus('resolved', ['resolved', 'firing'])).toBe('firing');
  expect(groupStatus('firing', ['resolved'])).toBe('firing');
  expect(groupStatus('resolved', ['resolved'])).toBe('resolved');
});
