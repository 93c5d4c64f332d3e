// approval: a gate on its own; the run waits as a row until the policy is met (approval-gate.ts).
import { approvalGate } from '../approval-gate.ts';
import { succeed } from '../step-results.ts';
import { done, gateSummary, type StepKindHandler } from './kind.ts';

export const approval: StepKindHandler<'approval'> = {
  async execute(ex, def, st) {
    const a = def.approval;
    const summary = await gateSummary(ex, def, st, a);
    const gate = await approvalGate(ex, st, { stepName: def.name, policy: a, summary });
    if (gate.type !== 'approved') return gate.outcome;
    const output = { approved: true, approvalId: gate.approvalId, by: gate.by, via: gate.via };
    await succeed(ex, st, { stepName: def.name, output });
    return done;
  },
};
