// Typed lifecycle events of one engine process. Tests and `run --follow` wait on these instead of
// sleeping; they describe what this process did, the journal is the durable record.

import type { RunStatus, StepStatus } from '../core/status.ts';
import { TypedEvents } from '../core/typed-events.ts';

/** What every step event names: metrics and traces label by runbook and step kind. */
export type StepRef = {
  runId: string;
  runbookId: string;
  step: string;
  /** The step's kind ('item' for one item of a forEach). */
  kind: string;
  attempt: number;
};

export interface EngineEventMap {
  /** This process begins executing the run (started here or claimed); `epoch` is its lease epoch. */
  'run.executing': { runId: string; runbookId: string; incidentId: string | null; epoch: number };
  'run.claimed': { runId: string; takeover: boolean };
  'run.parked': { runId: string; wakeAt: Date | null };
  /** `durationMs`: from the run's creation to its end, across parks and workers. */
  'run.finished': { runId: string; runbookId: string; status: RunStatus; durationMs: number };
  /** This process stopped executing the run: it finished, parked, lost its lease or crashed. */
  'run.released': { runId: string; epoch: number };
  'step.started': StepRef;
  /** `durationMs`: from the step's first attempt to its end; null when it never started (skipped). */
  'step.finished': StepRef & { status: StepStatus; error?: string; durationMs: number | null };
  /** `circuit`: the host whose open circuit refused the request (a wait, not a failed try). */
  'step.retrying': StepRef & { delayMs: number; error: string; circuit?: string };
  'approval.requested': { runId: string; step: string; approvalId: string };
  'mitigation.applied': { runId: string; step: string };
  /** A budgeted apply asked for room: counted, counted over the budget by an approver, or exceeded. */
  'mitigation.budget': {
    runId: string;
    runbookId: string;
    step: string;
    outcome: 'counted' | 'overridden' | 'exceeded';
  };
  'mitigation.reverted': { runId: string; step: string; status: 'reverted' | 'revert_failed' };
  /** A host's circuit breaker changed state (`halfOpensAt` when it opened). */
  'circuit.changed': {
    host: string;
    state: 'closed' | 'open' | 'half_open';
    failures: number;
    halfOpensAt: Date | null;
  };
  /** `ctx.http` refused a request without sending it: its host's circuit is open. */
  'circuit.rejected': { host: string; runbookId: string };
}

export class EngineEvents extends TypedEvents<EngineEventMap> {
  constructor() {
    super('engine event');
  }
}
