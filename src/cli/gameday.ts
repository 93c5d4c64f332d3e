// `firebreak gameday list|run <runbook>:<game-day>`: the schedules as the server has them, or a drill now,
// followed until its scorecard (exit 0 only when the drill passed).
import { parseDuration } from '../core/duration.ts';
import type { Scorecard } from '../gamedays/scorecard.ts';
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { CliError, type Command, EXIT, type Io, UsageError } from './io.ts';
import { printJson, table } from './print.ts';

interface WireGameDay {
  id: string;
  mode: string;
  cron: string;
  timezone: string;
  loaded: boolean;
  nextDueAt: string | null;
  skipped: number;
  lastScorecard: { passed: boolean | null; scoredAt: string | null } | null;
}

interface WireFire {
  id: string;
  incidentId: string | null;
  runId: string | null;
  scoredAt: string | null;
  passed: boolean | null;
  scorecard: Scorecard | null;
}

const options = {
  timeout: {
    type: 'string',
    value: '<duration>',
    description: 'give up waiting for the scorecard',
    default: '15m',
  },
  detach: { type: 'boolean', short: 'd', description: 'start the drill and return at once' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const gamedayCommand = {
  summary: 'list game days, or run one now and print its scorecard (exit 0 if it passed)',
  usage: 'gameday list | gameday run <runbook>:<game-day> [--timeout 15m] [--detach]',
  group: 'server',
  subcommands: ['list', 'run'],
  options,
  examples: ['firebreak gameday list', 'firebreak gameday run high-error-rate:wednesday-drill'],
  async run(args, ctx) {
    const { values, positionals } = parse(this, args, 2);
    const [action] = positionals;
    if (action !== 'list' && action !== 'run')
      throw new UsageError('say "list" or "run <runbook>:<game-day>"');
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(values.timeout);
    } catch (err) {
      throw new UsageError(`--timeout: ${(err as Error).message}`);
    }
    const { io } = ctx;
    return withApi(ctx, { local: values.local, execute: true }, async (session) => {
      const { api } = session;
      if (action === 'list') {
        const { gamedays } = await api.get<{ gamedays: WireGameDay[] }>('/api/gamedays');
        if (values.json) printJson(io, gamedays);
        else if (gamedays.length === 0) io.out('no game days: no loaded runbook declares gameDays');
        else for (const line of table(gamedays.map(gameDayRow))) io.out(line);
        return EXIT.ok;
      }
      const id = required(positionals, 1, 'the game day as <runbook>:<game-day>');
      const fired = await api.post<{ fireId: string; incidentId: string; runId: string }>(
        `/api/gamedays/${encodeURIComponent(id)}/run`,
      );
      if (!values.json) io.out(`drill ${fired.fireId}: incident ${fired.incidentId}, run ${fired.runId}`);
      if (values.detach) {
        if (values.json) printJson(io, fired);
        return EXIT.ok;
      }
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await session.followUpDrills?.();
        const { fire } = await api.get<{ fire: WireFire }>(`/api/gamedays/fires/${fired.fireId}`);
        if (fire.scoredAt !== null) {
          if (values.json) printJson(io, fire);
          else if (fire.scorecard) printScorecard(fire.scorecard, io);
          return fire.passed ? EXIT.ok : EXIT.failed;
        }
        if (Date.now() > deadline)
          throw new CliError(`drill ${fired.fireId} has no scorecard after ${values.timeout}`, EXIT.failed);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  },
} satisfies Command & { options: typeof options };

function gameDayRow(g: WireGameDay): string[] {
  const last = g.lastScorecard
    ? `last ${g.lastScorecard.passed ? 'passed' : 'FAILED'} ${g.lastScorecard.scoredAt ?? ''}`
    : 'never scored';
  return [
    g.id,
    g.mode,
    `"${g.cron}" ${g.timezone}`,
    `next ${g.nextDueAt ?? '-'}`,
    `${last}${g.skipped > 0 ? ` (${g.skipped} skipped)` : ''}${g.loaded ? '' : ' [runbook not loaded by the server]'}`,
  ];
}

function printScorecard(card: Scorecard, io: Io): void {
  io.out(`scorecard ${card.schedule} (${card.mode}): ${card.passed ? 'PASSED' : 'FAILED'}`);
  for (const m of card.measures) {
    const result = m.passed === null ? '' : m.passed ? '  pass' : '  FAIL';
    io.out(`  ${m.name.padEnd(38)} ${m.value}${m.target ? `  (target ${m.target})` : ''}${result}`);
  }
}
