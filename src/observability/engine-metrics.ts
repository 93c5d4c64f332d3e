// Feeds the engine's metrics from its lifecycle events, so the engine itself holds no metric calls.

import type { EngineEvents } from '../engine/events.ts';
import type { Pruner } from '../retention/pruner.ts';
import type { DecisionListener } from '../services/approvals/decide.ts';
import type { FirebreakMetrics } from './metrics.ts';

const CIRCUIT_STATE = { closed: 0, open: 1, half_open: 2 } as const;

/** Subscribes to one engine's events; returns a function that stops it. */
export function meterEngine(events: EngineEvents, m: FirebreakMetrics): () => void {
  const offs = [
    events.on('run.finished', (e) => {
      const labels = { runbook: e.runbookId, status: e.status };
      m.runs.inc(labels);
      m.runDuration.observe(labels, e.durationMs / 1000);
    }),
    events.on('run.claimed', (e) => {
      if (e.takeover) m.leaseTakeovers.inc();
    }),
    // Waiting for an open circuit is not a failed try: circuit rejections are counted on their own.
    events.on('step.retrying', (e) => {
      if (e.circuit === undefined) m.stepRetries.inc({ runbook: e.runbookId, kind: e.kind });
    }),
    events.on('circuit.changed', (e) => m.httpCircuitState.set({ host: e.host }, CIRCUIT_STATE[e.state])),
    events.on('circuit.rejected', (e) => m.httpCircuitRejections.inc({ host: e.host })),
    events.on('step.finished', (e) => {
      if (e.status === 'failed') m.stepFailures.inc({ runbook: e.runbookId, kind: e.kind });
      if (e.durationMs !== null) {
        m.stepDuration.observe({ runbook: e.runbookId, kind: e.kind, status: e.status }, e.durationMs / 1000);
      }
    }),
  ];
  // Zero-valued series from the start: rate() and absent() work before the first failure.
  m.leaseTakeovers.inc(0);
  return () => {
    for (const off of offs) off();
  };
}

/**
 * For Approvals.onDecision: observes the wait once a decision settles the approval (a quorum's earlier
 * votes leave it pending). Decisions made in other processes (the CLI) are counted there, not here.
 */
export function meterApprovalDecision(m: FirebreakMetrics): DecisionListener {
  return (approval, _req, outcome) => {
    if (outcome !== 'recorded' || approval.status === 'pending' || !approval.decidedAt) return;
    const waitS = (approval.decidedAt.getTime() - approval.requestedAt.getTime()) / 1000;
    m.approvalWait.observe({ outcome: approval.status }, Math.max(0, waitS));
  };
}

/** Retention passes: rows deleted by table, passes by outcome, the last success and its duration. */
export function meterPruner(pruner: Pruner, m: FirebreakMetrics): () => void {
  m.prunePasses.inc({ outcome: 'pruned' }, 0);
  m.prunePasses.inc({ outcome: 'failed' }, 0);
  m.pruneLastSuccess.set(0);
  const offs = [
    pruner.events.on('pruned', (r) => {
      for (const [table, n] of Object.entries(r.deleted)) m.prunedRows.inc({ table }, n);
      m.prunePasses.inc({ outcome: 'pruned' });
      m.pruneLastSuccess.set(Date.now() / 1000);
      m.pruneLastDuration.set(r.ms / 1000);
    }),
    pruner.events.on('failed', () => m.prunePasses.inc({ outcome: 'failed' })),
  ];
  return () => {
    for (const off of offs) off();
  };
}
