import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { AlertBatch } from '../../src/core/alert.ts';
import type { ParseFailure, ParseResult } from '../../src/ingest/sources/common.ts';

/** The raw text of a sample body in test/fixtures, e.g. `fixtureText('grafana/firing.json')`. */
export function fixtureText(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
}

export function fixture(path: string): Record<string, unknown> {
  return JSON.parse(fixtureText(path)) as Record<string, unknown>;
}

export function expectBatch(result: ParseResult): AlertBatch {
  if (!result.ok) expect.fail(`expected a batch, got ${JSON.stringify(result)}`);
  return result.batch;
}

export function expectFailure(result: ParseResult, kind: ParseFailure['kind']): ParseFailure {
  if (result.ok) expect.fail(`expected a ${kind} failure, got a batch for ${result.batch.groupKey}`);
  expect(result.kind).toBe(kind);
  return result;
}

export function expectIssuePaths(result: ParseResult): PropertyKey[][] {
  const failure = expectFailure(result, 'schema');
  if (failure.kind !== 'schema') return [];
  expect(failure.issues.length).toBeGreaterThan(0);
  return failure.issues.map((issue) => issue.path);
}
