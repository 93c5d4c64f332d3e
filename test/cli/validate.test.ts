// `firebreak runbooks validate` type-checks the runbook files and reports `file:line:col message`, exit 1.
// Seen on main: the README says a wrong `steps.x` "does not compile", yet validate passed a runbook
// using `steps.nope`, and one whose mitigation approval used `summary` (docs/authoring.md shows it, the
// mitigation's policy type refused it).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';

const REPO_TMP = fileURLToPath(new URL('../.tmp/', import.meta.url));

const NOPE = `import { runbook, z } from 'firebreak';

export const nope = runbook({ id: 'nope', title: 'reads a step that does not exist', input: z.object({}) })
  .diagnostic('a', async () => ({ n: 1 }))
  .diagnostic('b', async ({ steps }) => ({ m: steps.nope.n }));
`;

const SUMMARY = `import { runbook, z } from 'firebreak';

export const summed = runbook({ id: 'summed', title: 'a gated mitigation with a summary', input: z.object({}) })
  .diagnostic('deploy', async () => ({ sha: 'abc123' }))
  .mitigation('rollback', {
    approval: { groups: ['sre-oncall'], summary: ({ steps }) => \`roll back \${steps.deploy.sha}?\` },
    apply: async () => ({ to: 'previous' }),
    revert: async () => {},
  });
`;

async function cli(argv: string[], dir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      LOG_LEVEL: 'silent',
      RUNBOOKS_DIR: dir,
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runbooks validate', () => {
  let inRepo: string;
  let outside: string;
  beforeAll(async () => {
    await mkdir(REPO_TMP, { recursive: true });
    inRepo = await mkdtemp(join(REPO_TMP, 'validate-'));
    outside = await mkdtemp(join(tmpdir(), 'firebreak-validate-'));
  });
  afterAll(async () => {
    await rm(inRepo, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test('a runbook reading steps.nope fails with file:line:col; a summary on a mitigation gate passes', async () => {
    await writeFile(join(inRepo, 'nope.ts'), NOPE);
    await writeFile(join(inRepo, 'summary.ts'), SUMMARY);
    const r = await cli(['runbooks', 'validate'], inRepo);
    expect(r.code).toBe(1);
    const file = relative(process.cwd(), join(inRepo, 'nope.ts'));
    expect(r.out.split('\n')).toEqual([
      `ok      nope (${join(inRepo, 'nope.ts')})`,
      `ok      summed (${join(inRepo, 'summary.ts')})`,
      `${file}:5:53 Property 'nope' does not exist on type '{ a: { n: number; }; }'. (TS2339)`,
      `2 valid, 0 invalid, 1 type error (${fileURLToPath(new URL('../../tsconfig.json', import.meta.url))})`,
    ]);

    const json = JSON.parse((await cli(['runbooks', 'validate', '--json'], inRepo)).out);
    expect(json.typecheck.problems).toEqual([
      expect.objectContaining({ file: join(inRepo, 'nope.ts'), line: 5, col: 53, code: 'TS2339' }),
    ]);
    // The graph checks alone, on request.
    expect((await cli(['runbooks', 'validate', '--skip-typecheck'], inRepo)).code).toBe(0);
  });

  test('with no tsconfig.json above the folder, a built-in strict one; `firebreak` resolves to this package', async () => {
    await writeFile(join(outside, 'nope.ts'), NOPE);
    const r = await cli(['runbooks', 'validate', '--json'], outside);
    expect(r.code).toBe(1);
    const { typecheck } = JSON.parse(r.out);
    expect(typecheck).toMatchObject({ ran: true, tsconfig: null, elsewhere: 0 });
    // The one error is the runbook's own: the import of 'firebreak' resolved (no TS2307).
    expect(typecheck.problems).toEqual([expect.objectContaining({ line: 5, col: 53, code: 'TS2339' })]);

    await rm(join(outside, 'nope.ts'));
    await writeFile(join(outside, 'summary.ts'), SUMMARY);
    const ok = await cli(['runbooks', 'validate', '--json'], outside);
    expect(JSON.parse(ok.out).typecheck).toMatchObject({ ran: true, problems: [] });
  });

  test('the repository runbooks pass', async () => {
    const examples = fileURLToPath(new URL('../../runbooks', import.meta.url));
    const r = await cli(['runbooks', 'validate'], examples);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\d+ valid, 0 invalid, 0 type errors/);
  });
});
