// Module hooks (node:module `register`) for runbook files, installed by import-hooks.ts when firebreak
// runs from its built JavaScript. They do three things and leave every other module alone:
//
// 1. `firebreak` (and `firebreak/testing`) resolve to the firebreak that is running, wherever the
//    runbook lives: RUNBOOKS_DIR may be outside any package, or in a repository that installed its own
//    copy for type-checking. One copy means one runbook registry, one error tree, one zod.
// 2. TypeScript files (.ts, .mts) are compiled with esbuild's transform as they are imported: types
//    stripped, nothing bundled, one file at a time, nothing written to disk (a read-only root file
//    system is fine). `./lib/x.js` finds `./lib/x.ts`, TypeScript's own convention under nodenext.
// 3. A bare import that cannot be found from the runbook's folder is looked up from firebreak's
//    own installation, so a runbook mounted in a container without a node_modules can still use the
//    packages firebreak ships with (zod, undici, …). Anything else fails with Node's own message.
//
// This file runs on Node's hooks thread: it imports nothing from firebreak.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ResolveContext {
  parentURL?: string | undefined;
  conditions?: readonly string[];
  importAttributes?: Record<string, string>;
}
interface ResolveResult {
  url: string;
  format?: string | null | undefined;
  shortCircuit?: boolean;
}
interface LoadContext {
  format?: string | null | undefined;
  conditions?: readonly string[];
  importAttributes?: Record<string, string>;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null | undefined;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<ResolveResult>;
type NextLoad = (url: string, context?: LoadContext) => Promise<LoadResult>;

export interface HooksData {
  /** A file URL inside the running firebreak package (its package.json): where `firebreak` resolves from. */
  firebreakURL: string;
}

let firebreakURL = '';
let packageRoot = '';

export function initialize(data: HooksData): void {
  firebreakURL = data.firebreakURL;
  packageRoot = new URL('./', data.firebreakURL).href;
}

const TYPESCRIPT = /\.(ts|mts)$/;
const isBare = (s: string) => !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(s);
const fromUserCode = (parentURL: string | undefined) =>
  parentURL?.startsWith('file:') === true &&
  !parentURL.startsWith(packageRoot) &&
  !parentURL.includes('/node_modules/');

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  if (specifier === 'firebreak' || specifier.startsWith('firebreak/')) {
    // A package may import itself by name: resolving from inside firebreak follows its `exports`.
    return nextResolve(specifier, { ...context, parentURL: firebreakURL });
  }
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || !fromUserCode(context.parentURL)) {
      throw err;
    }
    if (/^\.{1,2}\/.*\.[mc]?js$/.test(specifier)) {
      const ts = specifier.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
      try {
        return await nextResolve(ts, context);
      } catch {
        throw err;
      }
    }
    if (isBare(specifier)) {
      try {
        return await nextResolve(specifier, { ...context, parentURL: firebreakURL });
      } catch {
        throw err; // the message that names the runbook's own folder
      }
    }
    throw err;
  }
}

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname) || url.includes('/node_modules/')) {
    return nextLoad(url, context);
  }
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  return { format: 'module', source: await compile(source, path), shortCircuit: true };
}

let esbuild: typeof import('esbuild') | undefined;
let idle: NodeJS.Timeout | undefined;

async function compile(source: string, path: string): Promise<string> {
  esbuild ??= await import('esbuild');
  clearTimeout(idle);
  try {
    const { code } = await esbuild.transform(source, {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: path,
      // Stack traces then name the runbook's own lines (with --enable-source-maps).
      sourcemap: 'inline',
    });
    return code;
  } finally {
    // esbuild answers from a child process; runbooks load at start, so let it go once they have.
    idle = setTimeout(() => void esbuild?.stop(), 2_000).unref();
  }
}
