// A mitigation's budget is checked when the runbook loads, and `firebreak runbooks validate` reports a
// bad one with the step and field.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import type { MitigationBudget } from '../../src/dsl/types.ts';
import { runbookProblems } from '../../src/dsl/validate.ts';
import { runbook, z } from '../../src/index.ts';

const noop = async () => ({});

function withBudget(budget: MitigationBudget<{ namespace: string }>) {
  return runbook({ id: 'rb', title: 'rb', input: z.object({ namespace: z.string() }) }).mitigation(
    'rollback',
    { budget, apply: noop, revert: noop },
  ) as unknown as AnyRunbook;
}

describe('budget validation', () => {
  test('a well-formed budget has no problems', () => {
    expect(runbookProblems(withBudget({ max: 3, per: '1h' }))).toEqual([]);
    const scoped = withBudget({
      max: 1,
      per: '30m',
      scope: (input) => input.namespace,
      onExceeded: 'fail',
      approval: { groups: ['sre-leads'], timeout: '15m' },
    });
    expect(runbookProblems(scoped)).toEqual([]);
  });

  test('each bad field is named', () => {
    const bad = {
      max: 0,
      per: '1 hour',
      scope: 'namespace',
      onExceeded: 'skip',
      approval: { timeout: 'soon', onTimeout: 'approve' },
    } as unknown as MitigationBudget<{ namespace: string }>;
    expect(runbookProblems(withBudget(bad))).toEqual([
      'mitigation "rollback" budget.max must be an integer ≥ 1',
      'mitigation "rollback" budget.per: invalid duration "1 hour" (use e.g. 500ms, 30s, 15m, 1h30m)',
      'mitigation "rollback" budget.scope must be \'global\' or a function of the input',
      "mitigation \"rollback\" budget.onExceeded must be 'approval' or 'fail'",
      'mitigation "rollback" budget.approval.timeout: invalid duration "soon" (use e.g. 500ms, 30s, 15m, 1h30m)',
      'mitigation "rollback" budget.approval.onTimeout cannot be \'approve\'',
    ]);
    expect(runbookProblems(withBudget({ max: 2, per: 0 }))).toEqual([
      'mitigation "rollback" budget.per must be longer than 0',
    ]);
  });

  test('`firebreak runbooks validate` reports a bad budget and exits 1', async () => {
    const root = fileURLToPath(new URL('../.tmp/', import.meta.url));
    await mkdir(root, { recursive: true });
    const dir = await mkdtemp(join(root, 'budget-'));
    try {
      await writeFile(
        join(dir, 'restart.ts'),
        `import { runbook, z } from 'firebreak';
export const restart = runbook({ id: 'restart', title: 'restart', input: z.object({}) })
  .mitigation('restart', { budget: { max: 0, per: '1h' }, apply: async () => ({}), revert: async () => {} });
`,
      );
      const out: string[] = [];
      const code = await main(
        ['runbooks', 'validate', '--skip-typecheck'],
        { out: (l) => out.push(l), err: (l) => out.push(l) },
        { LOG_LEVEL: 'silent', RUNBOOKS_DIR: dir },
      );
      expect(code).toBe(1);
      expect(out.join('\n')).toContain('mitigation "restart" budget.max must be an integer ≥ 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
