// Deciding a test run's gates through the same Approvals service the API, CLI and Slack use, so a
// test goes through the real policy checks and leaves the same timeline entries.

import type { Clock } from '../core/clock.ts';
import type { Firebreak } from '../firebreak.ts';
import { Approvals } from '../services/approvals/decide.ts';
import type { ApprovalRecord } from '../store/records.ts';

/**
 * What `finish()` does with a gate: approve or reject it at once; `expire`: let its timeout pass;
 * `manual` (the default): stop and let the test decide with `approve()` / `reject()`.
 */
export type ApprovalRule = 'approve' | 'reject' | 'expire' | 'manual';

/** One rule for every gate, or rules by step name (`'*'` for the rest). */
export type ApprovalRules = ApprovalRule | Readonly<Record<string, ApprovalRule>>;

/** Who decides. The default is "test-approver" with the admin role, which any gate's policy admits. */
export interface DeciderOptions {
  by?: string;
  groups?: readonly string[];
  /** API role; unset with `by` given, so the gate's approvers and groups decide. */
  role?: string;
}

export const TEST_APPROVER = 'test-approver';

export function ruleFor(rules: ApprovalRules | undefined, step: string): ApprovalRule {
  if (rules === undefined) return 'manual';
  if (typeof rules === 'string') return rules;
  return rules[step] ?? rules['*'] ?? 'manual';
}

export async function decide(
  fb: Firebreak,
  clock: Clock,
  approval: ApprovalRecord,
  decision: 'approve' | 'reject',
  reason: string | null,
  who: DeciderOptions = {},
): Promise<ApprovalRecord> {
  const role = who.role ?? (who.by === undefined ? 'admin' : undefined);
  const outcome = await new Approvals(fb.store, clock).decide(approval.id, {
    decider: {
      identity: who.by ?? TEST_APPROVER,
      via: 'api',
      groups: [...(who.groups ?? [])],
      ...(role === undefined ? {} : { role }),
    },
    decision,
    reason,
  });
  if (outcome.outcome !== 'recorded') {
    throw new Error(`cannot ${decision} ${approval.stepKey}: ${Approvals.explain(outcome)}`);
  }
  // The decision made the run due; wake this process's engine rather than wait for its poll.
  fb.engine.poke();
  return outcome.approval;
}
