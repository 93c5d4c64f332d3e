// A runbook's version is a content hash of its definition: the same definition always gives the same
// version, and any edit that can change behaviour gives a new one.
import { describe, expect, test } from 'vitest';
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import { runbookVersion } from '../../src/dsl/version.ts';
import { runbook, z } from '../../src/index.ts';

interface Variant {
  title?: string;
  timeout?: string;
  retries?: number;
  input?: z.ZodType;
  severity?: RegExp;
}

function build(v: Variant = {}) {
  return runbook({
    id: 'high-error-rate',
    title: v.title ?? 'Elevated 5xx ratio',
    triggers: [{ alertname: 'HighErrorRate', severity: v.severity ?? /critical|page/ }],
    input: v.input ?? z.object({ service: z.string(), namespace: z.string().default('prod') }),
    retry: { maxAttempts: v.retries ?? 3 },
  })
    .diagnostic('errorRatio', { timeout: v.timeout ?? '30s' }, async () => ({ ratio: 0.12 }))
    .mitigation('rollback', {
      needs: ['errorRatio'],
      apply: async ({ steps }) => ({ from: steps.errorRatio.ratio }),
      revert: async () => {},
    });
}

const version = (rb: unknown) => runbookVersion(rb as AnyRunbook);

describe('runbookVersion', () => {
  test('is a short hex hash, the same for the same definition built twice', () => {
    expect(version(build())).toMatch(/^[0-9a-f]{16}$/);
    expect(version(build())).toBe(version(build()));
  });

  test('does not depend on the order options are written in', () => {
    const input = z.object({});
    const a = runbook({ id: 'order', title: 'Order', input }).diagnostic('a', async () => 1);
    const b = runbook({ title: 'Order', input, id: 'order' }).diagnostic('a', async () => 1);
    expect(version(a)).toBe(version(b));
  });

  test('changes when a step function body changes', () => {
    const before = runbook({ id: 'fn', title: 'Fn', input: z.object({}) }).diagnostic('a', async () => ({
      n: 1,
    }));
    const after = runbook({ id: 'fn', title: 'Fn', input: z.object({}) }).diagnostic('a', async () => ({
      n: 2,
    }));
    expect(version(after)).not.toBe(version(before));
  });

  test.each<[string, Variant]>([
    ['the title', { title: 'Elevated 5xx' }],
    ['a step timeout', { timeout: '45s' }],
    ['the retry policy', { retries: 5 }],
    ['the input schema', { input: z.object({ service: z.string() }) }],
    ['a trigger pattern', { severity: /critical/ }],
  ])('changes when %s changes', (_, variant) => {
    expect(version(build(variant))).not.toBe(version(build()));
  });

  test('changes when a check inside the input schema changes (min, regex, default)', () => {
    const withInput = (input: z.ZodType) => version(build({ input }));
    const base = withInput(z.object({ replicas: z.number().min(1), ns: z.string().regex(/^prod/) }));
    expect(withInput(z.object({ replicas: z.number().min(1), ns: z.string().regex(/^prod/) }))).toBe(base);
    expect(withInput(z.object({ replicas: z.number().min(2), ns: z.string().regex(/^prod/) }))).not.toBe(
      base,
    );
    expect(withInput(z.object({ replicas: z.number().min(1), ns: z.string().regex(/^stag/) }))).not.toBe(
      base,
    );
    expect(
      withInput(z.object({ replicas: z.number().min(1).default(1), ns: z.string().regex(/^prod/) })),
    ).not.toBe(base);
  });

  test('changes when a step is added, renamed or needs something else', () => {
    const base = () =>
      runbook({ id: 'shape', title: 'Shape', input: z.object({}) }).diagnostic('a', async () => 1);
    const one = version(base().diagnostic('b', async () => 2));
    expect(version(base().diagnostic('b', async () => 2))).toBe(one);
    expect(version(base().diagnostic('c', async () => 2))).not.toBe(one);
    expect(version(base().diagnostic('b', { needs: [] }, async () => 2))).not.toBe(one);
    expect(
      version(
        base()
          .diagnostic('b', async () => 2)
          .diagnostic('c', async () => 3),
      ),
    ).not.toBe(one);
  });
});
