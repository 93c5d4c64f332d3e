// How a journal event reads to a human, the same on the web page, in the postmortem and in the CLI.
// A step's attempt counter runs across its phases (apply, verify, revert), so the verify of a mitigation
// that applied on its first try was journalled as `step.started … attempt 2`: it is called what it is.

export interface JournalEventLike {
  type: string;
  data: unknown;
}

const PHASE_NAMES: Record<string, string> = {
  apply: 'apply.started',
  verify: 'verify.started',
  revert: 'revert.started',
  'dry-run': 'dry_run.started',
};

/** The event's name as shown: `verify.started` for the start of a verify, else its type. */
export function eventName(e: JournalEventLike): string {
  if (e.type !== 'step.started') return e.type;
  const phase = dataOf(e).phase;
  return (typeof phase === 'string' && PHASE_NAMES[phase]) || e.type;
}

/**
 * The try worth showing (>1), counted within the phase. Events written before phases counted their own
 * tries carry only the step's attempt, which means something only for the run phase.
 */
export function tryOf(e: JournalEventLike): number | null {
  const d = dataOf(e);
  if (typeof d.try === 'number') return d.try > 1 ? d.try : null;
  const phase = d.phase;
  // A phase without its own count (a mitigation's completion, a gate): the step's attempt says nothing.
  if (phase !== undefined && phase !== 'run') return null;
  return typeof d.attempt === 'number' && d.attempt > 1 ? d.attempt : null;
}

export function dataOf(e: JournalEventLike): Record<string, unknown> {
  return e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : {};
}
