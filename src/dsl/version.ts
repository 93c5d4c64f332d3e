// A runbook's version is a content hash of its definition: options, step shapes and the source text of
// every function, so any edit that can change behaviour gives a new version.
import { createHash } from 'node:crypto';
import type { AnyRunbook } from './runbook.ts';

export function runbookVersion(rb: AnyRunbook): string {
  const h = createHash('sha256');
  h.update(stableStringify({ options: rb.options, steps: rb.steps }));
  return h.digest('hex').slice(0, 16);
}

function stableStringify(value: unknown, seen = new WeakSet<object>()): string {
  if (typeof value === 'function') return JSON.stringify(`fn:${value.toString()}`);
  if (value instanceof RegExp) return JSON.stringify(`re:${value.toString()}`);
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (seen.has(value)) return '"[cycle]"';
  seen.add(value);
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, seen)).join(',')}]`;
  // zod schemas and their checks (min, regex, …): the definition under `_zod` tells versions apart.
  if ('_zod' in value) return stableStringify((value as { _zod: { def?: unknown } })._zod.def, seen);
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k], seen)}`).join(',')}}`;
}
