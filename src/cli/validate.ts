// `firebreak runbooks validate` and `graph`: the runbook files of RUNBOOKS_DIR as this machine loads them
// (the same graph checks as at start) and type-checks them (runbooks/typecheck.ts).
import { loadRunbooks } from '../runbooks/loader.ts';
import { mermaid } from '../runbooks/mermaid.ts';
import { formatProblem, typecheckRunbooks } from '../runbooks/typecheck.ts';
import { CliError, type CommandContext, EXIT } from './io.ts';
import { printJson } from './print.ts';

export async function validateRunbooks(
  { config, io }: CommandContext,
  opts: { json: boolean; typecheck: boolean },
): Promise<number> {
  const report = await loadRunbooks(config.RUNBOOKS_DIR);
  const types = opts.typecheck ? await typecheckRunbooks(config.RUNBOOKS_DIR) : null;
  const typeErrors = types?.ran ? types.problems : [];
  const failed = report.failed.length > 0 || typeErrors.length > 0 || (types !== null && !types.ran);
  if (opts.json) {
    printJson(io, {
      valid: report.loaded.map((rb) => ({ id: rb.id, source: rb.source, version: rb.version })),
      invalid: report.failed,
      typecheck: types,
    });
    return failed ? EXIT.failed : EXIT.ok;
  }
  for (const rb of report.loaded) io.out(`ok      ${rb.id} (${rb.source})`);
  for (const f of report.failed) io.out(`invalid ${f.path}: ${f.reason}`);
  for (const p of typeErrors) io.out(formatProblem(p));
  if (types && !types.ran) io.out(`type check did not run: ${types.reason} (--skip-typecheck to go without)`);
  if (types?.ran && types.elsewhere > 0)
    io.out(`(${types.elsewhere} type error(s) in files outside ${config.RUNBOOKS_DIR} not shown)`);
  const checked = types?.ran
    ? `, ${typeErrors.length} type error${typeErrors.length === 1 ? '' : 's'} (${types.tsconfig ?? 'built-in strict tsconfig'})`
    : '';
  io.out(`${report.loaded.length} valid, ${report.failed.length} invalid${checked}`);
  return failed ? EXIT.failed : EXIT.ok;
}

export async function graphOf({ config, io }: CommandContext, id: string): Promise<number> {
  const report = await loadRunbooks(config.RUNBOOKS_DIR);
  const rb = report.loaded.find((r) => r.id === id);
  if (!rb) throw new CliError(`no runbook "${id}" in ${config.RUNBOOKS_DIR}`, EXIT.failed);
  io.out(mermaid(rb));
  return EXIT.ok;
}
