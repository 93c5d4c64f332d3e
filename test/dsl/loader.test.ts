// Loading runbook files from a folder: a bad file is reported with its path and reason and does not
// stop the others. The files import 'firebreak' as real runbooks do; that name resolves inside this
// package only (self-reference), so the folder lives under test/.tmp rather than the system temp dir.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type LoadReport, loadRunbooks, runbookFiles } from '../../src/runbooks/loader.ts';

const tmpRoot = fileURLToPath(new URL('../.tmp/', import.meta.url));

const files: Record<string, string> = {
  'a-good.ts': `import { runbook, z } from 'firebreak';
export const good = runbook({ id: 'tmp-good', title: 'Good', input: z.object({ service: z.string() }) })
  .diagnostic('probe', async ({ input }) => ({ service: input.service }));
export const notARunbook = 42;
`,
  'b-syntax-error.ts': `import { runbook } from 'firebreak';
export const broken = runbook({ id: 'tmp-broken', title: 'Broken', input: ;
`,
  'c-exports-nothing.ts': `export const answer = 42;
`,
  'd-duplicate-id.ts': `import { runbook, z } from 'firebreak';
export const again = runbook({ id: 'tmp-good', title: 'Good again', input: z.object({}) })
  .diagnostic('probe', async () => 1);
`,
  'e-no-steps.ts': `import { runbook, z } from 'firebreak';
export const empty = runbook({ id: 'tmp-empty', title: 'Empty', input: z.object({}) });
`,
  'f-throws.ts': `throw new Error('secrets file missing');
`,
  'helpers.test.ts': `throw new Error('test files are not runbooks');
`,
  'types.d.ts': `export type X = number;
`,
  'notes.md': `# not code
`,
};

describe('loadRunbooks', () => {
  let dir: string;
  let report: LoadReport;
  const at = (name: string) => join(dir, name);

  beforeAll(async () => {
    await mkdir(tmpRoot, { recursive: true });
    dir = await mkdtemp(join(tmpRoot, 'runbooks-'));
    await Promise.all(Object.entries(files).map(([name, text]) => writeFile(at(name), text)));
    report = await loadRunbooks(dir);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('only script files that are not tests or declarations are runbook files', () => {
    expect(runbookFiles(dir)).toEqual(
      [
        'a-good.ts',
        'b-syntax-error.ts',
        'c-exports-nothing.ts',
        'd-duplicate-id.ts',
        'e-no-steps.ts',
        'f-throws.ts',
      ].map(at),
    );
  });

  test('the good runbook loads, with its source and version', () => {
    expect(report.loaded.map((l) => ({ id: l.id, source: l.source, plan: l.plan }))).toEqual([
      { id: 'tmp-good', source: at('a-good.ts'), plan: [{ name: 'probe', kind: 'diagnostic' }] },
    ]);
    expect(report.loaded[0]?.version).toMatch(/^[0-9a-f]{16}$/);
  });

  test('each bad file is reported with its path and reason', () => {
    expect(report.failed).toEqual([
      // The transform's generic header ("Transform failed with 1 error:") is no reason; what follows it is.
      { path: at('b-syntax-error.ts'), reason: expect.stringMatching(/^cannot load: .*unexpected/i) },
      { path: at('c-exports-nothing.ts'), reason: 'exports no runbook' },
      {
        path: at('d-duplicate-id.ts'),
        reason: `runbook tmp-good: runbook id "tmp-good" is also defined in ${at('a-good.ts')}`,
      },
      { path: at('e-no-steps.ts'), reason: 'runbook tmp-empty: runbook has no steps' },
      { path: at('f-throws.ts'), reason: 'cannot load: secrets file missing' },
    ]);
  });

  test('a folder that does not exist loads nothing and fails nothing', async () => {
    expect(await loadRunbooks(join(dir, 'missing'))).toEqual({ loaded: [], failed: [] });
  });
});
