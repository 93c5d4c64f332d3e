// Type-checks runbook files with the TypeScript compiler, for `firebreak runbooks validate`. Runbooks run
// through tsx, which strips types without checking them: `steps.nope` or a misspelt approval option
// loads fine and fails at 3 a.m. So validate runs tsc over the files in RUNBOOKS_DIR, with the project's
// tsconfig.json (the nearest one above the folder) or a built-in strict one, and reports each error as
// `file:line:col message`.
//
// TypeScript 7 is the native compiler: it has no in-process compiler API to call (its `unstable/*` API
// talks to the same binary over a pipe), so this runs its `tsc` with a generated tsconfig that lists
// exactly the runbook files. Errors in files outside the folder (firebreak's own source under a stricter
// project config, say) are counted, not reported: they are not the runbook author's to fix.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runbookFiles } from './loader.ts';

export interface TypeProblem {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
}

export type TypeCheck =
  | { ran: true; tsconfig: string | null; problems: TypeProblem[]; elsewhere: number }
  | { ran: false; reason: string };

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a runbook sees without a project tsconfig: the same strictness as firebreak's own code. */
const BUILT_IN = {
  target: 'ES2023',
  lib: ['ES2023'],
  module: 'preserve',
  moduleResolution: 'bundler',
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  allowImportingTsExtensions: true,
  resolveJsonModule: true,
  isolatedModules: true,
  skipLibCheck: true,
  noEmit: true,
};

export async function typecheckRunbooks(dir: string, opts: { timeoutMs?: number } = {}): Promise<TypeCheck> {
  const root = resolve(dir);
  const files = runbookFiles(root);
  const tsc = findTsc();
  if (!tsc) {
    return {
      ran: false,
      reason: 'the TypeScript compiler is not installed here (npm install --save-dev typescript)',
    };
  }
  if (files.length === 0) return { ran: true, tsconfig: null, problems: [], elsewhere: 0 };
  const project = nearestTsconfig(root);
  const tmp = await mkdtemp(join(tmpdir(), 'firebreak-typecheck-'));
  try {
    const config = join(tmp, 'tsconfig.json');
    await writeFile(config, JSON.stringify(generatedConfig(files, project), null, 2));
    const out = await runTsc(tsc, config, root, opts.timeoutMs ?? 120_000);
    const all = parseDiagnostics(out, root);
    const inside = all.filter((p) => p.file === root || p.file.startsWith(root + sep));
    return { ran: true, tsconfig: project, problems: inside, elsewhere: all.length - inside.length };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

function generatedConfig(files: string[], project: string | null): Record<string, unknown> {
  if (project) {
    // The project's options; only the file list is ours (files + an empty include replace the base's).
    // Type roots default to node_modules/@types above the config file, which here is a temporary one:
    // name the project's, unless it names its own.
    const ownRoots = /"typeRoots"/.test(readFileSync(project, 'utf8'));
    return {
      extends: project,
      compilerOptions: {
        noEmit: true,
        incremental: false,
        ...(ownRoots ? {} : { typeRoots: typeRootsAbove(project) }),
      },
      files,
      include: [],
    };
  }
  const typeRoot = join(PACKAGE_ROOT, 'node_modules', '@types');
  const nodeTypes = existsSync(join(typeRoot, 'node'));
  return {
    compilerOptions: {
      ...BUILT_IN,
      ...(nodeTypes ? { types: ['node'], typeRoots: [typeRoot] } : { types: [] }),
      // Runbooks outside this package import 'firebreak' as the loader resolves it: this package.
      paths: {
        firebreak: [join(PACKAGE_ROOT, 'src', 'index.ts')],
        'firebreak/testing': [join(PACKAGE_ROOT, 'src', 'testing', 'index.ts')],
        'firebreak/integrations': [join(PACKAGE_ROOT, 'src', 'integrations', 'index.ts')],
      },
    },
    files,
  };
}

function typeRootsAbove(file: string): string[] {
  const roots: string[] = [];
  for (let d = dirname(file); ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', '@types');
    if (existsSync(candidate)) roots.push(candidate);
    if (dirname(d) === d) return roots;
  }
}

function findTsc(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('typescript/package.json');
    const bin = join(dirname(pkg), 'bin', 'tsc');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function nearestTsconfig(from: string): string | null {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) return null;
  }
}

function runTsc(tsc: string, config: string, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolveOut, reject) => {
    execFile(
      process.execPath,
      [tsc, '--project', config, '--pretty', 'false'],
      { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // Exit 1 or 2 means "diagnostics found"; anything else (a crash, the timeout) is a failure to check.
        const code = (err as { code?: unknown } | null)?.code;
        if (err && !(code === 1 || code === 2)) {
          reject(new Error(`tsc did not run: ${(stderr || err.message).trim().split('\n')[0]}`));
          return;
        }
        resolveOut(`${stdout}`);
      },
    );
  });
}

const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
const GLOBAL = /^error (TS\d+): (.*)$/;

export function parseDiagnostics(output: string, cwd: string): TypeProblem[] {
  const problems: TypeProblem[] = [];
  for (const line of output.split('\n')) {
    const m = DIAGNOSTIC.exec(line);
    const g = m ? null : GLOBAL.exec(line);
    if (m) {
      problems.push({
        file: resolve(cwd, m[1]!),
        line: Number(m[2]),
        col: Number(m[3]),
        code: m[4]!,
        message: m[5]!,
      });
    } else if (g) {
      problems.push({ file: cwd, line: 0, col: 0, code: g[1]!, message: g[2]! });
    } else if (/^\s+\S/.test(line) && problems.length > 0) {
      // tsc continues a long message on indented lines.
      problems.at(-1)!.message += ` ${line.trim()}`;
    }
  }
  return problems;
}

/** `runbooks/x.ts:4:53 Property 'nope' does not exist … (TS2339)`, relative to the working directory. */
export function formatProblem(p: TypeProblem, cwd = process.cwd()): string {
  const where =
    p.line > 0 ? `${relative(cwd, p.file) || p.file}:${p.line}:${p.col}` : relative(cwd, p.file) || '.';
  return `${where} ${p.message} (${p.code})`;
}
