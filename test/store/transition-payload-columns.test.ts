// The payload's columns are declared once, in transition-payload.ts; the function that reads the payload
// must read exactly those columns (`npm run db:functions` renders its column lists from them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { functionsFolder } from '../../src/db/sql-functions.ts';
import {
  functionColumnLists,
  payloadColumnList,
  payloadColumns,
  renderPayloadColumnLists,
} from '../../src/store/transition-payload.ts';

const fn = readFileSync(join(functionsFolder, 'firebreak_apply_transitions.sql'), 'utf8');

describe('the transition payload columns', () => {
  test('firebreak_apply_transitions reads each list with the declared columns', () => {
    const declared = Object.fromEntries(
      Object.keys(payloadColumns).map((list) => [
        list,
        payloadColumnList(list as keyof typeof payloadColumns),
      ]),
    );
    expect(functionColumnLists(fn), 'run `npm run db:functions`').toEqual(declared);
  });

  test('rendering keeps a list that matches and rewrites one that does not', () => {
    expect(renderPayloadColumnLists(fn)).toBe(fn);
    const stale = fn.replace('finished_at timestamptz, cid uuid)', 'cid uuid)');
    expect(stale).not.toBe(fn);
    const rendered = renderPayloadColumnLists(stale);
    expect(functionColumnLists(rendered)).toEqual(functionColumnLists(fn));
  });
});
