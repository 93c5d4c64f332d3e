// `firebreak run <runbook>`: starts a run through the server and waits for its end (or follows it step by
// step); exit 0 only when it succeeded. With --local the run starts and executes in this process.
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { finalLine, followRun } from './follow.ts';
import { type Command, EXIT, UsageError } from './io.ts';
import { printJson, whyLine } from './print.ts';

const options = {
  input: { type: 'string', value: '<json>', description: "the run's input, as JSON", default: '{}' },
  'dry-run': {
    type: 'boolean',
    description: 'mitigations only say what they would do (their dryRun); nothing is changed',
  },
  follow: { type: 'boolean', short: 'f', description: 'print each step as it happens' },
  detach: { type: 'boolean', short: 'd', description: 'print the run id and return at once' },
  key: {
    type: 'string',
    value: '<key>',
    description: 'idempotency key: a run with this key that exists already is returned instead',
  },
  incident: { type: 'string', value: '<id>', description: 'attach the run to this incident' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const runCommand = {
  summary: 'start a run and wait for its end (exit 0 only if it succeeded)',
  usage: 'run <runbook> [--input <json>] [--dry-run] [--follow | --detach] [--key <k>]',
  group: 'server',
  options,
  examples: [
    `firebreak run hello --input '{"name":"ops"}' --follow`,
    'firebreak run high-error-rate --input \'{"service":"checkout"}\' --dry-run',
  ],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 1);
    const runbook = required(positionals, 0, 'the runbook id');
    let input: unknown;
    try {
      input = JSON.parse(values.input);
    } catch (err) {
      throw new UsageError(`--input is not JSON: ${(err as Error).message}`);
    }
    if (values.follow && values.detach) throw new UsageError('--follow and --detach exclude each other');
    if (values.detach && values.local)
      throw new UsageError('--detach needs a server: with --local the run executes in this process');
    const { io } = ctx;
    return withApi(ctx, { local: values.local, execute: true }, async ({ api }) => {
      const started = await api.post<{ runId: string; created: boolean }>('/api/runs', {
        runbook,
        input,
        dryRun: values['dry-run'],
        ...(values.key ? { idempotencyKey: values.key } : {}),
        ...(values.incident ? { incidentId: values.incident } : {}),
      });
      if (!started.created) io.err(`run ${started.runId} already exists for key ${values.key}`);
      if (values.detach) {
        if (values.json) printJson(io, started);
        else io.out(started.runId);
        return EXIT.ok;
      }
      const print = values.follow && !values.json ? (l: string) => io.out(l) : null;
      if (print) print(`run ${started.runId} (${runbook})`);
      const run = await followRun(api, started.runId, print);
      if (values.json) printJson(io, run);
      else {
        io.out(finalLine(run));
        const why = whyLine(run);
        if (why) io.out(why);
      }
      return run.status === 'succeeded' ? EXIT.ok : EXIT.failed;
    });
  },
} satisfies Command & { options: typeof options };
