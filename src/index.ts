// The public entry for runbook authors. Internals are not re-exported.
export { z } from 'zod';
export type { Duration } from './core/duration.ts';
export { CircuitOpenError, FirebreakError, NonRetryableError } from './core/errors.ts';
export type { RetryPolicy } from './core/retry.ts';
export type { CircuitBreakerOptions } from './dsl/circuit-breaker.ts';
export { isRunbook, Runbook, runbook } from './dsl/runbook.ts';
export type {
  ApprovalOutcome,
  ApprovalPolicy,
  EvidenceInput,
  GameDay,
  GameDayInjectContext,
  GameDayTargets,
  HostCommandOptions,
  HostCommandResult,
  MitigationBudget,
  RunInfo,
  StepContext,
  Trigger,
} from './dsl/types.ts';
export { createFirebreak, type Firebreak, type FirebreakOptions } from './firebreak.ts';
