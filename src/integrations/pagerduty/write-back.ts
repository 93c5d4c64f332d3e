// The step a runbook adds to ask for PagerDuty write-back on incidents that did not come from PagerDuty
// (an Alertmanager alert that carries the page's id, a run started by hand about a page):
//
//   .diagnostic('pagerduty', { needs: [] }, pagerDutyWriteBack(({ input }) => input.page, { resolve: 'verified' }))
//
// The step only names the PagerDuty incident (its output); firebreak's write-back sees the step succeed
// and from then on treats the run as it treats a run of a PagerDuty incident: acknowledge now, a note at
// each mitigation applied or reverted and at the end, and a resolve if asked and the run verified its fix.

/** Marks the step function, so the write-back recognises the step whatever the runbook named it. */
export const PAGERDUTY_WRITE_BACK = Symbol.for('firebreak.writeBack.pagerduty');

export type ResolvePolicy = 'never' | 'verified';

export interface PagerDutyWriteBackOutput {
  /** The PagerDuty incident id; null: nothing to write back to (the step still succeeds). */
  pagerdutyIncident: string | null;
  resolve: ResolvePolicy;
}

export function pagerDutyWriteBack<C>(
  incident: (ctx: C) => string | null | undefined,
  opts: { resolve?: ResolvePolicy } = {},
): ((ctx: C) => PagerDutyWriteBackOutput) & { [PAGERDUTY_WRITE_BACK]: true } {
  const fn = (ctx: C): PagerDutyWriteBackOutput => ({
    pagerdutyIncident: incident(ctx)?.trim() || null,
    resolve: opts.resolve ?? 'never',
  });
  return Object.assign(fn, { [PAGERDUTY_WRITE_BACK]: true as const });
}

export function isPagerDutyWriteBack(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [PAGERDUTY_WRITE_BACK]?: true })[PAGERDUTY_WRITE_BACK] === true;
}
