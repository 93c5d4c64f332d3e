// `firebreak postmortem <incident-id> [--json] [--regenerate [--force]]`: the draft as the server builds it.
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { type Command, EXIT, UsageError } from './io.ts';
import { printJson } from './print.ts';

const options = {
  regenerate: { type: 'boolean', description: 'build the draft again from the journal and store it' },
  force: { type: 'boolean', description: 'with --regenerate: also replace a saved human edit' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const postmortemCommand = {
  summary: 'print the postmortem of an incident (Markdown, or --json); --regenerate stores a new draft',
  usage: 'postmortem <incident-id> [--json] [--regenerate [--force]]',
  group: 'server',
  options,
  examples: ['firebreak postmortem 0b7c6f3e-… > postmortem.md', 'firebreak postmortem 0b7c6f3e-… --json'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 1);
    const id = encodeURIComponent(required(positionals, 0, 'the incident id'));
    if (values.force && !values.regenerate) throw new UsageError('--force only goes with --regenerate');
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      if (values.regenerate) {
        await api.post(`/api/incidents/${id}/postmortem/regenerate?force=${values.force}`);
      }
      if (values.json)
        printJson(ctx.io, await api.get(`/api/incidents/${id}/postmortem`, { format: 'json' }));
      else ctx.io.out((await api.text(`/api/incidents/${id}/postmortem`)).trimEnd());
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof options };
