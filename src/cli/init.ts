// `firebreak init [dir]`: a runbook repository of the team's own — package.json depending on firebreak,
// a strict tsconfig, an example runbook with its test, CI, a Containerfile layering the runbooks on the
// firebreak image, and a README. Files that exist are left alone unless --force; an existing
// package.json gains what it lacks (scripts, dependencies) and keeps the rest.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSON_FLAG, parse } from './args.ts';
import type { Command, Options } from './io.ts';
import { printJson } from './print.ts';

/** The template ships in dist/templates (built package); in a checkout it is templates/ at the top. */
function templateRoot(): string {
  for (const candidate of ['../templates/init/', '../../templates/init/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('the init template is missing from this firebreak installation');
}

/** npm drops .gitignore from packages, and dot-folders are easy to lose: the template names them plainly. */
const target = (path: string) => path.replace(/^gitignore$/, '.gitignore').replace(/^github\//, '.github/');

function templateFiles(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? templateFiles(root, path) : [relative(root, path)];
  });
}

interface PackageJson {
  name?: string;
  version?: string;
  private?: boolean;
  type?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

function ownPackage(): PackageJson {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
}

/** The project's package.json, with what a runbook repository needs added and nothing overwritten. */
export function runbookPackage(
  existing: PackageJson | null,
  name: string,
  firebreak: PackageJson,
): PackageJson {
  const pkg: PackageJson = existing ?? { name, version: '0.0.0', private: true };
  // The tools at the versions firebreak itself is built and tested with.
  const pin = (dep: string) => firebreak.devDependencies?.[dep] ?? 'latest';
  pkg.type ??= 'module';
  pkg.scripts = {
    typecheck: 'tsc --noEmit',
    test: 'vitest run',
    validate: 'firebreak runbooks validate',
    start: 'firebreak serve',
    ...pkg.scripts,
  };
  pkg.dependencies = { firebreak: `^${firebreak.version}`, ...pkg.dependencies };
  pkg.devDependencies = {
    '@types/node': pin('@types/node'),
    typescript: pin('typescript'),
    vitest: pin('vitest'),
    ...pkg.devDependencies,
  };
  return pkg;
}

const initOptions = {
  force: { type: 'boolean', description: 'overwrite files that already exist' },
  ...JSON_FLAG,
} as const satisfies Options;

export const initCommand = {
  summary: 'scaffold a runbook repository (example runbook, test, CI, Containerfile)',
  usage: 'init [dir] [--force]',
  group: 'authoring',
  options: initOptions,
  examples: ['firebreak init team-runbooks', 'firebreak init . --force'],
  async run(args, { io }) {
    const { values, positionals } = parse(this, args, 1);
    const force = values.force;
    const dir = resolve(positionals[0] ?? '.');
    // With --json the file list is printed once at the end instead of line by line.
    const say = (line: string) => {
      if (!values.json) io.out(line);
    };
    const root = templateRoot();
    const files = templateFiles(root).map((from) => ({ from, to: target(from) }));
    const clashes = force ? [] : files.filter((f) => existsSync(join(dir, f.to))).map((f) => f.to);
    if (clashes.length > 0) {
      io.err(
        `firebreak init: ${clashes.join(', ')} already exist in ${dir}; nothing written (--force overwrites)`,
      );
      return 1;
    }
    mkdirSync(dir, { recursive: true });
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.to)), { recursive: true });
      writeFileSync(join(dir, f.to), readFileSync(join(root, f.from)));
      say(`created ${f.to}`);
    }
    const pkgPath = join(dir, 'package.json');
    const existing = existsSync(pkgPath) ? (JSON.parse(readFileSync(pkgPath, 'utf8')) as PackageJson) : null;
    const name =
      basename(dir)
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-') || 'runbooks';
    const pkg = runbookPackage(existing, name, ownPackage());
    writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    say(`${existing ? 'updated' : 'created'} package.json`);
    if (values.json) {
      printJson(io, { dir, files: files.map((f) => f.to), packageJson: existing ? 'updated' : 'created' });
      return 0;
    }
    if (pkg.type !== 'module') io.err('note: package.json sets "type" to something else than "module"');
    io.out(
      [
        '',
        `Next, in ${relative(process.cwd(), dir) || '.'}:`,
        '  npm install',
        '  npm run typecheck && npm test && npx firebreak runbooks validate',
        '  npx firebreak serve             # http://127.0.0.1:8080, embedded database in ./.firebreak',
        'README.md says how to deploy the runbooks on the firebreak image.',
      ].join('\n'),
    );
    return 0;
  },
} satisfies Command & { options: typeof initOptions };
