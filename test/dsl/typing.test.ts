// Proves the @ts-expect-error lines of typing.ts mark real errors: a copy without them must fail to
// compile at exactly the lines they marked, and nowhere else.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const EXPECT_ERROR = '// @ts-expect-error';
const source = fileURLToPath(new URL('./typing.ts', import.meta.url));
const tmpRoot = fileURLToPath(new URL('../.tmp/', import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

/** Compiles one file with the repo's compiler options; returns the lines (1-based) with errors in it. */
async function errorLines(file: string): Promise<{ lines: number[]; output: string }> {
  const config = join(dirname(file), 'tsconfig.json');
  await writeFile(
    config,
    JSON.stringify({ extends: '../../../tsconfig.json', include: [], files: [basename(file)] }),
  );
  const output = await promisify(execFile)(process.execPath, [
    tsc,
    '--noEmit',
    '--pretty',
    'false',
    '-p',
    config,
  ])
    .then((r) => r.stdout)
    .catch((err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`);
  const at = new RegExp(`${basename(file).replace('.', '\\.')}\\((\\d+),\\d+\\): error`, 'g');
  const lines = [...output.matchAll(at)].map((m) => Number(m[1]));
  return { lines: [...new Set(lines)].sort((a, b) => a - b), output };
}

test('every @ts-expect-error in typing.ts marks an error, and there are no others', async () => {
  const text = await readFile(source, 'utf8');
  const marked = text.split('\n').flatMap((line, i) => (line.trim().startsWith(EXPECT_ERROR) ? [i + 2] : []));
  expect(marked.length).toBeGreaterThanOrEqual(6);

  await mkdir(tmpRoot, { recursive: true });
  // The copy sits one folder deeper than test/dsl (test/.tmp/typing-…/), so its imports climb one more level.
  const dir = await mkdtemp(join(tmpRoot, 'typing-'));
  try {
    const copy = join(dir, 'typing.ts');
    const stripped = text
      .replaceAll(EXPECT_ERROR, '// (expected error)')
      .replaceAll("from '../../", "from '../../../");
    await writeFile(copy, stripped);
    const { lines, output } = await errorLines(copy);
    expect(lines, output).toEqual(marked);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
