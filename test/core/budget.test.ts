// The pure part of mitigation budgets: keys, the sliding window and the words on the gate.
import { describe, expect, test } from 'vitest';
import {
  budgetExceededLabel,
  budgetFreesAt,
  budgetHasRoom,
  budgetKey,
  budgetUsageLabel,
  describeWindow,
  windowStart,
} from '../../src/core/budget.ts';

const HOUR = 3_600_000;

describe('mitigation budgets', () => {
  test('one key per runbook and mitigation, or per scope value', () => {
    expect(budgetKey('high-error-rate', 'rollback', null)).toBe('high-error-rate/rollback');
    expect(budgetKey('high-error-rate', 'rollback', 'prod')).toBe('high-error-rate/rollback#prod');
  });

  test('the window is the last `per` before now; a use leaves it `per` after it happened', () => {
    const now = new Date('2026-03-01T10:00:00Z');
    expect(windowStart(now, HOUR)).toEqual(new Date('2026-03-01T09:00:00Z'));
    expect(budgetFreesAt(new Date('2026-03-01T09:20:00Z'), HOUR)).toEqual(new Date('2026-03-01T10:20:00Z'));
    expect(budgetHasRoom(2, 3)).toBe(true);
    expect(budgetHasRoom(3, 3)).toBe(false);
  });

  test('windows read as people say them', () => {
    expect(describeWindow(HOUR)).toBe('hour');
    expect(describeWindow(2 * HOUR)).toBe('2 hours');
    expect(describeWindow(90 * 60_000)).toBe('90 minutes');
    expect(describeWindow(86_400_000)).toBe('day');
    expect(describeWindow(45_000)).toBe('45 seconds');
    expect(describeWindow(1_500)).toBe('1500 ms');
  });

  test("the gate's reason and the run page's line", () => {
    const f = { mitigation: 'rollback', scope: null, used: 3, max: 3, perMs: HOUR };
    expect(budgetExceededLabel(f)).toBe('budget exceeded: 3 rollback applies in the last hour (max 3)');
    expect(budgetExceededLabel({ ...f, used: 1, max: 1, scope: 'prod' })).toBe(
      'budget exceeded: 1 rollback apply in the last hour (max 1, scope prod)',
    );
    expect(budgetUsageLabel({ ...f, used: 2 })).toBe('budget: 2 of 3 used in the last hour');
    expect(budgetUsageLabel({ ...f, used: 2, scope: 'prod' })).toBe(
      'budget: 2 of 3 used in the last hour (scope prod)',
    );
  });
});
