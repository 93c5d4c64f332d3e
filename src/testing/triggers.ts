// Routing from a test's point of view: would this alert start this runbook?
import type { AlertSource } from '../core/alert.ts';
import type { AnyRunbook } from '../dsl/runbook.ts';
import { compileTrigger, matches } from '../dsl/triggers.ts';

/**
 * True when any of the runbook's triggers matches the labels (as the alert router matches them) and,
 * when a source is given, the runbook takes alerts from it (`sources`).
 */
export function matchesTriggers(
  rb: AnyRunbook,
  labels: Record<string, string>,
  source?: AlertSource,
): boolean {
  if (source !== undefined && rb.options.sources && !rb.options.sources.includes(source)) return false;
  return (rb.options.triggers ?? []).some((t) => matches(compileTrigger(t), labels));
}
