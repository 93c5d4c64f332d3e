// RUNBOOKS_DIR may point anywhere: runbooks in a folder outside the firebreak package (no package.json,
// no node_modules, or a node_modules with its own copy of firebreak) import `firebreak` and load with
// the built CLI run by plain node, or fail with a message that names the real cause. On main every such
// file failed with "Cannot require() ES Module … in a cycle".
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/firebreak.js', import.meta.url));

const files: Record<string, string> = {
  'typed.ts': `import { runbook, z } from 'firebreak';
import { greet } from './lib/greet.js';
interface Shape { message: string }
export const typed = runbook({ id: 'outside-typed', title: 'TypeScript outside', input: z.object({}) })
  .diagnostic('hello', async (): Promise<Shape> => ({ message: greet('ops') }));
`,
  'lib/greet.ts': "export const greet = (who: string): string => 'hello ' + who;\n",
  'plain.js': `import { runbook, z } from 'firebreak';
export const plain = runbook({ id: 'outside-plain', title: 'JavaScript outside', input: z.object({}) })
  .diagnostic('hello', async () => ({ ok: true }));
`,
  'uses-zod.ts': `import { runbook } from 'firebreak';
import { z } from 'zod';
export const usesZod = runbook({ id: 'outside-zod', title: 'A dependency firebreak ships', input: z.object({}) })
  .diagnostic('hello', async () => ({ ok: true }));
`,
  'missing-package.ts': `import { runbook, z } from 'firebreak';
import pad from 'left-pad-that-nobody-installed';
export const missing = runbook({ id: 'outside-missing', title: 'x', input: z.object({}) })
  .diagnostic('pad', async () => ({ padded: pad('1', 3) }));
`,
  'syntax-error.ts': "import { runbook } from 'firebreak';\nexport const broken = runbook(;\n",
  // The runbook repository installed its own copy (for its type-checking): it must not be the one loaded.
  'node_modules/firebreak/package.json': JSON.stringify({
    name: 'firebreak',
    type: 'module',
    exports: { '.': './index.js' },
  }),
  'node_modules/firebreak/index.js':
    "throw new Error('the runbook repository copy of firebreak was loaded');\n",
};

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'firebreak-outside-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('runbooks outside the package load with the running firebreak, or fail naming the cause', () => {
  const r = spawnSync(process.execPath, [BIN, 'runbooks', 'validate'], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, RUNBOOKS_DIR: dir, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  const out = r.stdout + r.stderr;
  expect(out).toContain(`ok      outside-typed (${join(dir, 'typed.ts')})`);
  expect(out).toContain(`ok      outside-plain (${join(dir, 'plain.js')})`);
  expect(out).toContain(`ok      outside-zod (${join(dir, 'uses-zod.ts')})`);
  expect(out).toContain(
    `invalid ${join(dir, 'missing-package.ts')}: cannot load: Cannot find package 'left-pad-that-nobody-installed'`,
  );
  expect(out).toMatch(
    new RegExp(`invalid ${join(dir, 'syntax-error.ts')}: cannot load: .*syntax-error\\.ts:2:\\d+`),
  );
  expect(out).not.toContain('in a cycle');
  expect(out).toContain('3 valid, 2 invalid');
  expect(r.status).toBe(1);
});
