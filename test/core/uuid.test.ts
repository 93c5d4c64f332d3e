import { expect, test } from 'vitest';
import { uuidv7 } from '../../src/core/uuid.ts';

test('uuidv7: RFC 9562 layout, the time in front, so ids sort in the order they were made', () => {
  const id = uuidv7(Date.UTC(2030, 0, 1));
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2030, 0, 1));
  const ids = [1, 2, 3, 1_000, 86_400_000].map((ms) => uuidv7(Date.UTC(2030, 0, 1) + ms));
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(Array.from({ length: 1000 }, () => uuidv7(0))).size).toBe(1000);
});
