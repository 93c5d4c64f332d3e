// The runbook DSL's types. Step outputs accumulate in the builder's type parameter `S`, so a later step
// sees `steps.errorRatio.ratio` as a number and naming an unknown step does not compile.
import type { z } from 'zod';
import type { Duration } from '../core/duration.ts';
import type { RetryPolicy } from '../core/retry.ts';
import type { EvidenceKind } from '../store/records.ts';

export type StepKind = 'diagnostic' | 'mitigation' | 'approval' | 'sleep' | 'notify' | 'forEach';

export type Outputs = Record<string, unknown>;

export interface EvidenceInput {
  kind: EvidenceKind;
  title: string;
  /** text/markdown: a string; json: any JSON; table: { columns, rows }; link: { url }; image: { mime, base64 }. */
  content: unknown;
}

export interface RunInfo {
  id: string;
  runbookId: string;
  dryRun: boolean;
  incidentId: string | null;
  requestedBy: string | null;
}

export interface StepContext<I, S> {
  input: I;
  /** Outputs of committed steps. A step skipped by `when` has no output (undefined). */
  steps: S;
  run: RunInfo;
  step: { name: string; key: string; attempt: number };
  /** The same on every attempt of this step, also after a crash: pass it to the system you change. */
  idempotencyKey: string;
  /** Aborted on step timeout, run cancellation or lost lease. */
  signal: AbortSignal;
  attach(evidence: EvidenceInput): void;
  /** fetch bound to the step's abort signal. */
  http(url: string | URL, init?: RequestInit): Promise<Response>;
  log(message: string, data?: Record<string, unknown>): void;
  now(): Date;
}

export type Awaitable<T> = T | Promise<T>;

export interface CommonStepOptions<I, S> {
  /** Steps this one waits for; `[]` starts at once. Without it, the step runs after the one declared before. */
  needs?: readonly (keyof S & string)[];
  /** Returning false skips the step (status skipped); later steps still run. */
  when?: (ctx: StepContext<I, S>) => Awaitable<boolean>;
  retry?: Partial<RetryPolicy>;
  timeout?: Duration;
}

export interface ApprovalPolicy {
  approvers?: readonly string[];
  groups?: readonly string[];
  /** Approvals needed. Default 1. */
  quorum?: number;
  timeout?: Duration;
  onTimeout?: 'reject' | 'approve' | { escalate: string; extend: Duration };
  /** Who may decide, beyond approvers: API roles (approver, admin). */
  roles?: readonly string[];
}

export interface VerifyOptions<I, S, A> {
  /** Wait this long after apply before checking. */
  after?: Duration;
  check: (ctx: StepContext<I, S> & { applied: A }) => Awaitable<boolean>;
  /** revert (default): revert and fail the run, so the saga reverts the rest; continue: record and go on. */
  onFail?: 'revert' | 'continue';
}

export interface MitigationOptions<I, S, A> extends CommonStepOptions<I, S> {
  approval?: ApprovalPolicy;
  apply: (ctx: StepContext<I, S>) => Awaitable<A>;
  revert: (ctx: StepContext<I, S> & { applied: A }) => Awaitable<unknown>;
  verify?: VerifyOptions<I, S, A>;
  /** What the mitigation would do, for dry runs and drills. Without it, a dry run records "would apply". */
  dryRun?: (ctx: StepContext<I, S>) => Awaitable<unknown>;
  /** Retry policy of the revert (default 5 attempts). */
  revertRetry?: Partial<RetryPolicy>;
}

export interface ApprovalStepOptions<I, S> extends CommonStepOptions<I, S>, ApprovalPolicy {
  /** Shown to approvers. */
  summary?: string | ((ctx: StepContext<I, S>) => string);
}

export interface SleepOptions<I, S> extends CommonStepOptions<I, S> {
  duration: Duration;
}

export interface NotifyOptions<I, S> extends CommonStepOptions<I, S> {
  message: string | ((ctx: StepContext<I, S>) => Awaitable<string>);
  channel?: string;
}

export interface ForEachOptions<I, S, T, O> extends CommonStepOptions<I, S> {
  items: (ctx: StepContext<I, S>) => Awaitable<readonly T[]>;
  /** Items in flight at once. Default 4. */
  concurrency?: number;
  run: (ctx: StepContext<I, S> & { item: T; index: number }) => Awaitable<O>;
}

export interface ApprovalOutcome {
  approved: true;
  approvalId: string;
  by: string[];
  /** 'timeout' when onTimeout approved it. */
  via: string;
}

export interface Trigger {
  [label: string]: string | RegExp | { op: '=' | '!=' | '=~' | '!~'; value: string };
}

export interface GameDay {
  id: string;
  cron: string;
  timezone?: string;
  mode: 'dry-run' | 'live';
  [key: string]: unknown;
}

export interface AlertLike {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RunbookOptions<Schema extends z.ZodType> {
  id: string;
  title: string;
  description?: string;
  triggers?: readonly Trigger[];
  input: Schema;
  fromAlert?: (alert: AlertLike) => z.input<Schema>;
  concurrency?: { key: (input: z.output<Schema>) => string; limit: number };
  gameDays?: readonly GameDay[];
  /** Default retry policy for this runbook's steps. */
  retry?: Partial<RetryPolicy>;
  postmortem?: (ctx: {
    input: z.output<Schema>;
    steps: Outputs;
  }) => Awaitable<{ title: string; body: string }[]>;
}

/** The runtime form of one step, with types erased. */
export interface StepDef {
  name: string;
  kind: StepKind;
  /** As written; undefined means "after the previous step". */
  needs: readonly string[] | undefined;
  when?: (ctx: StepContext<unknown, Outputs>) => Awaitable<boolean>;
  retry?: Partial<RetryPolicy>;
  timeout?: Duration;
  run?: (ctx: StepContext<unknown, Outputs>) => Awaitable<unknown>;
  mitigation?: MitigationOptions<unknown, Outputs, unknown>;
  approval?: ApprovalStepOptions<unknown, Outputs>;
  sleep?: SleepOptions<unknown, Outputs>;
  notify?: NotifyOptions<unknown, Outputs>;
  forEach?: ForEachOptions<unknown, Outputs, unknown, unknown>;
}
