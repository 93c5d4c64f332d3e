// Run and step states (ARCHITECTURE.md, "States"), and which of them are final.

export const runStatuses = [
  'queued',
  'running',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'compensating',
  'compensated',
  'revert_failed',
] as const;
export type RunStatus = (typeof runStatuses)[number];

export const stepStatuses = [
  'pending',
  'running',
  'succeeded',
  'skipped',
  'failed',
  'awaiting_approval',
  'rejected',
  'expired',
  'reverted',
  'revert_failed',
] as const;
export type StepStatus = (typeof stepStatuses)[number];

const terminalRun: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'compensated',
  'revert_failed',
]);

export function isTerminalRun(status: RunStatus): boolean {
  return terminalRun.has(status);
}

/** A step in one of these states lets the steps that need it start. */
export function satisfiesNeeds(status: StepStatus): boolean {
  return status === 'succeeded' || status === 'skipped';
}

/** The step ended the run's forward progress: the run fails and compensates. */
export function isStepFailure(status: StepStatus): boolean {
  return status === 'failed' || status === 'rejected' || status === 'expired';
}
