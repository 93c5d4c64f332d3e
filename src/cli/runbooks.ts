// `firebreak runbooks list | validate | graph <id>`. `list` asks the server which runbooks it loaded (and
// which files it could not); `validate` and `graph` read the files in RUNBOOKS_DIR here, before a deploy.
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { type Command, EXIT, UsageError } from './io.ts';
import { printJson, table } from './print.ts';

interface WireRunbook {
  id: string;
  title: string;
  version: string;
  steps: unknown[];
}

const options = {
  'skip-typecheck': {
    type: 'boolean',
    description: 'validate: only the graph checks, no TypeScript compiler',
  },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const runbooksCommand = {
  summary: 'list the runbooks the server loaded; validate (graph + types) or draw the files here',
  usage: 'runbooks list | runbooks validate [--skip-typecheck] | runbooks graph <id>',
  group: 'authoring',
  subcommands: ['list', 'validate', 'graph'],
  options,
  examples: [
    'firebreak runbooks validate          # exit 1 on a bad file or a type error',
    'firebreak runbooks graph high-error-rate > graph.mmd',
    'firebreak runbooks list --json',
  ],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 2);
    const [sub] = positionals;
    if (sub === 'list') return list(ctx, values);
    if (sub === 'validate') {
      const { validateRunbooks } = await import('./validate.ts');
      return validateRunbooks(ctx, { json: values.json, typecheck: !values['skip-typecheck'] });
    }
    if (sub === 'graph') {
      const id = required(positionals, 1, 'the runbook id');
      const { graphOf } = await import('./validate.ts');
      return graphOf(ctx, id);
    }
    throw new UsageError(sub ? `unknown action "${sub}"` : 'say list, validate or graph <id>');
  },
} satisfies Command & { options: typeof options };

async function list(ctx: Parameters<Command['run']>[1], values: { json: boolean; local: boolean }) {
  return withApi(ctx, { local: values.local }, async ({ api }) => {
    const out = await api.get<{ runbooks: WireRunbook[]; failed: { path: string; reason: string }[] }>(
      '/api/runbooks',
    );
    if (values.json) printJson(ctx.io, out);
    else {
      const rows = out.runbooks.map((rb) => [rb.id, rb.version, `${rb.steps.length} steps`, rb.title]);
      for (const line of table(rows)) ctx.io.out(line);
      for (const f of out.failed) ctx.io.err(`not loaded: ${f.path}: ${f.reason}`);
    }
    // A file the server could not load is a runbook that will not run: say so in the exit code.
    return out.failed.length === 0 ? EXIT.ok : EXIT.failed;
  });
}
