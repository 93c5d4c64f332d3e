// Routing from a test's point of view: would this alert start this runbook?
import type { AnyRunbook } from '../dsl/runbook.ts';
import { compileTrigger, matches } from '../triggers/match.ts';

/** True when any of the runbook's triggers matches the labels (as the alert router matches them). */
export function matchesTriggers(rb: AnyRunbook, labels: Record<string, string>): boolean {
  return (rb.options.triggers ?? []).some((t) => matches(compileTrigger(t), labels));
}
