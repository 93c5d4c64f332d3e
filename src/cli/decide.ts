// `firebreak approve|reject <approval-id> [--reason …] [--as <identity>]`: the same policy as every surface.
import { parseArgs } from 'node:util';
import { Approvals } from '../approvals/service.ts';
import { identitiesOf } from '../config/config.ts';
import type { Command } from './io.ts';
import { openFirebreak } from './open.ts';

function decisionCommand(decision: 'approve' | 'reject'): Command {
  return {
    summary: decision === 'approve' ? 'approve a gate' : 'reject a gate (a reason is required)',
    usage: `${decision} <approval-id> [--reason <text>] [--as <identity>]`,
    async run(args, ctx) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { reason: { type: 'string' }, as: { type: 'string' } },
      });
      const id = positionals[0];
      if (!id) {
        ctx.io.err(`usage: firebreak ${this.usage}`);
        return 2;
      }
      const identity = values.as ?? process.env.USER ?? 'cli';
      const fb = await openFirebreak(ctx, { work: false });
      try {
        const approvals = new Approvals(fb.store, fb.engine.clock, identitiesOf(ctx.config));
        const outcome = await approvals.decide(id, {
          decider: approvals.decider('cli', identity),
          decision,
          reason: values.reason ?? null,
        });
        if (outcome.outcome === 'recorded') {
          ctx.io.out(`approval ${id}: ${outcome.approval.status} (${decision} by ${identity})`);
          return 0;
        }
        ctx.io.err(`approval ${id}: ${Approvals.explain(outcome)}`);
        return 1;
      } finally {
        await fb.close();
      }
    },
  };
}

export const approveCommand = decisionCommand('approve');
export const rejectCommand = decisionCommand('reject');
