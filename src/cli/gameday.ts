// `firebreak gameday list|run <runbook>:<game day>`: the schedules, or a drill now with its scorecard
// (exit 0 only when the drill passed).
import { parseArgs } from 'node:util';
import { parseDuration } from '../core/duration.ts';
import { GameDayScheduler } from '../scheduler/scheduler.ts';
import type { Scorecard } from '../scheduler/scorecard.ts';
import type { Command, Io } from './io.ts';
import { openFirebreak, reportLoadFailures } from './open.ts';

export const gamedayCommand: Command = {
  summary: 'list game days, or run one now and print its scorecard (exit 0 if it passed)',
  usage: 'gameday list | gameday run <runbook>:<game-day> [--timeout 15m]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { timeout: { type: 'string', default: '15m' } },
    });
    const [action, id] = positionals;
    if (action !== 'list' && !(action === 'run' && id)) {
      ctx.io.err(`usage: firebreak ${this.usage}`);
      return 2;
    }
    const fb = await openFirebreak(ctx, { work: action === 'run' });
    const gamedays = new GameDayScheduler(fb);
    try {
      reportLoadFailures(fb, ctx);
      await gamedays.sync();
      if (action === 'list') {
        for (const g of await gamedays.list()) {
          const last = g.lastScorecard
            ? `last ${g.lastScorecard.passed ? 'passed' : 'FAILED'} ${g.lastScorecard.scoredAt?.toISOString()}`
            : 'never scored';
          ctx.io.out(
            `${g.id}  ${g.mode.padEnd(7)} "${g.cron}" ${g.timezone}  next ${g.nextDueAt?.toISOString() ?? '-'}  ${last}` +
              `${g.skipped > 0 ? `  (${g.skipped} skipped)` : ''}${g.loaded ? '' : '  [runbook not loaded here]'}`,
          );
        }
        return 0;
      }
      const fired = await gamedays.runNow(id!, `cli:${process.env.USER ?? 'unknown'}`);
      ctx.io.out(`drill ${fired.fireId}: incident ${fired.incidentId}, run ${fired.runId}`);
      const fire = await gamedays.waitForScorecard(fired.fireId, parseDuration(values.timeout));
      printScorecard(fire.scorecard!, ctx.io);
      return fire.passed ? 0 : 1;
    } finally {
      await gamedays.stop();
      await fb.close();
    }
  },
};

function printScorecard(card: Scorecard, io: Io): void {
  io.out(`scorecard ${card.schedule} (${card.mode}): ${card.passed ? 'PASSED' : 'FAILED'}`);
  for (const m of card.measures) {
    const result = m.passed === null ? '' : m.passed ? '  pass' : '  FAIL';
    io.out(`  ${m.name.padEnd(38)} ${m.value}${m.target ? `  (target ${m.target})` : ''}${result}`);
  }
}
