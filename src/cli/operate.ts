// `firebreak pause|resume` (the kill switch) and `firebreak dead-letters [replay <id>]`.
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { type Command, EXIT, UsageError } from './io.ts';
import { printJson, table } from './print.ts';

interface KillSwitch {
  paused: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  reason: string | null;
}

function describeSwitch(k: KillSwitch): string {
  const since = k.updatedAt ? ` since ${k.updatedAt}${k.updatedBy ? ` by ${k.updatedBy}` : ''}` : '';
  return k.paused
    ? `kill switch ON: new mitigations are paused${since}${k.reason ? ` (${k.reason})` : ''}; diagnostics still run`
    : `kill switch OFF: mitigations run${since}`;
}

function switchCommand(paused: boolean) {
  const options = {
    ...(paused
      ? { reason: { type: 'string', short: 'r', value: '<text>', description: 'why, shown with the switch' } }
      : {}),
    status: { type: 'boolean', description: 'only show the switch, change nothing' },
    ...JSON_FLAG,
    ...LOCAL_FLAG,
  } as const satisfies Record<string, import('./io.ts').OptionSpec>;
  return {
    summary: paused
      ? 'kill switch: hold every new mitigation (diagnostics still run)'
      : 'kill switch off: mitigations run again',
    usage: paused ? 'pause [--reason <text>] | pause --status' : 'resume',
    group: 'server',
    options,
    examples: paused ? ["firebreak pause --reason 'database failover in progress'"] : ['firebreak resume'],
    async run(args, ctx) {
      const { values } = parse(this, args, 0);
      const reason = (values as { reason?: string }).reason;
      return withApi(ctx, { local: values.local }, async ({ api }) => {
        const state = values.status
          ? await api.get<KillSwitch>('/api/kill-switch')
          : await api.post<KillSwitch>('/api/kill-switch', { paused, ...(reason ? { reason } : {}) });
        if (values.json) printJson(ctx.io, state);
        else ctx.io.out(describeSwitch(state));
        return EXIT.ok;
      });
    },
  } satisfies Command & { options: typeof options };
}

export const pauseCommand = switchCommand(true);
export const resumeCommand = switchCommand(false);

interface WireDeadLetter {
  id: string;
  source: string;
  reason: string;
  receivedAt: string;
  replayedAt: string | null;
}

const deadLetterOptions = { ...JSON_FLAG, ...LOCAL_FLAG } as const;

export const deadLettersCommand = {
  summary: 'payloads that could not be routed, with reasons; replay one through ingestion again',
  usage: 'dead-letters [list] | dead-letters replay <id>',
  group: 'server',
  subcommands: ['list', 'replay'],
  options: deadLetterOptions,
  examples: ['firebreak dead-letters', 'firebreak dead-letters replay 7d2f…'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 2);
    const [action = 'list'] = positionals;
    if (action !== 'list' && action !== 'replay') throw new UsageError(`unknown action "${action}"`);
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      if (action === 'replay') {
        const id = required(positionals, 1, 'the dead letter id');
        const out = await api.post<{ deadLetterId: string; result: unknown }>(
          `/api/dead-letters/${encodeURIComponent(id)}/replay`,
        );
        if (values.json) printJson(ctx.io, out);
        else ctx.io.out(`dead letter ${id} replayed: ${JSON.stringify(out.result)}`);
        return EXIT.ok;
      }
      const { deadLetters } = await api.get<{ deadLetters: WireDeadLetter[] }>('/api/dead-letters');
      if (values.json) printJson(ctx.io, deadLetters);
      else if (deadLetters.length === 0) ctx.io.out('no dead letters');
      else {
        const rows = deadLetters.map((d) => [
          d.id,
          d.receivedAt,
          d.source,
          `${d.replayedAt ? '[replayed] ' : ''}${d.reason}`,
        ]);
        for (const line of table(rows)) ctx.io.out(line);
      }
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof deadLetterOptions };
