// Plain records the store reads and writes. Dates are Date objects; JSON columns are plain values.
import type { SerializedError } from '../core/errors.ts';
import type { EvidenceKind } from '../core/evidence.ts';
import type { RunStatus, StepStatus } from '../core/status.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PlanStep {
  name: string;
  kind: string;
}

export interface RunRecord {
  id: string;
  runbookId: string;
  runbookVersion: string;
  plan: PlanStep[];
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: SerializedError | null;
  dryRun: boolean;
  idempotencyKey: string | null;
  concurrencyKey: string | null;
  incidentId: string | null;
  requestedBy: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  wakeAt: Date | null;
  cancelRequested: boolean;
  keepMitigations: boolean;
  claims: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface StepRecord {
  runId: string;
  stepKey: string;
  kind: string;
  status: StepStatus;
  attempt: number;
  output: unknown;
  error: SerializedError | null;
  state: Record<string, unknown> | null;
  appliedSeq: number | null;
  idempotencyKey: string;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface StepAttemptRecord {
  runId: string;
  stepKey: string;
  attempt: number;
  phase: string;
  status: string;
  error: SerializedError | null;
  startedAt: Date | null;
  finishedAt: Date;
}

export interface EventRecord {
  seq: number;
  runId: string | null;
  incidentId: string | null;
  stepKey: string | null;
  type: string;
  data: unknown;
  at: Date;
}

export type { EvidenceKind } from '../core/evidence.ts';

export interface EvidenceRecord {
  id: string;
  runId: string | null;
  incidentId: string | null;
  stepKey: string | null;
  attempt: number | null;
  kind: EvidenceKind;
  title: string;
  content: unknown;
  contentHash: string;
  createdAt: Date;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalDecision {
  by: string;
  via: string;
  decision: 'approve' | 'reject';
  reason: string | null;
  at: string;
}

export interface ApprovalRecord {
  id: string;
  runId: string;
  stepKey: string;
  status: ApprovalStatus;
  policy: Record<string, unknown>;
  decisions: ApprovalDecision[];
  requestedBy: string | null;
  requestedAt: Date;
  expiresAt: Date | null;
  decidedAt: Date | null;
  reason: string | null;
}
