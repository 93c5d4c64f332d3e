// Loads runbook modules from a folder. A bad file is reported with its path and reason and does not
// stop the others from loading.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { type AnyRunbook, isRunbook } from '../dsl/runbook.ts';
import { runbookProblems } from '../dsl/validate.ts';
import { installRunbookImportHooks } from './import-hooks.ts';
import { type LoadedRunbook, loadRunbook } from './registry.ts';

export interface LoadFailure {
  path: string;
  reason: string;
}

export interface LoadReport {
  loaded: LoadedRunbook[];
  failed: LoadFailure[];
}

const RUNBOOK_FILE = /^(?!.*\.(test|spec|d)\.[cm]?[jt]s$).*\.[cm]?[jt]s$/;

export function runbookFiles(dir: string): string[] {
  const root = resolve(dir);
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries
    .filter((f) => RUNBOOK_FILE.test(f) && statSync(join(root, f)).isFile())
    .sort()
    .map((f) => join(root, f));
}

export async function loadRunbooks(dir: string): Promise<LoadReport> {
  const report: LoadReport = { loaded: [], failed: [] };
  const seen = new Map<string, string>();
  const files = runbookFiles(dir);
  if (files.length > 0) installRunbookImportHooks();
  for (const path of files) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (err) {
      report.failed.push({ path, reason: `cannot load: ${firstLine(err)}` });
      continue;
    }
    const runbooks = Object.values(mod).filter(isRunbook) as AnyRunbook[];
    if (runbooks.length === 0) report.failed.push({ path, reason: 'exports no runbook' });
    for (const rb of runbooks) {
      const problems = runbookProblems(rb);
      const other = seen.get(rb.id);
      if (other) problems.push(`runbook id "${rb.id}" is also defined in ${other}`);
      if (problems.length > 0) {
        report.failed.push({ path, reason: `runbook ${rb.id}: ${problems.join('; ')}` });
        continue;
      }
      seen.set(rb.id, path);
      report.loaded.push(loadRunbook(rb, path));
    }
  }
  return report;
}

/** The first informative line of a load error: a transform error opens with a generic header (and may be
 * coloured); the line after it says what is wrong and where. */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = stripVTControlCharacters(message)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Transform failed with \d+ errors?:$/.test(l));
  return lines[0] ?? 'unknown error';
}
