// The runbook DSL's types. Step outputs accumulate in the builder's type parameter `S`, so a later step
// sees `steps.errorRatio.ratio` as a number and naming an unknown step does not compile.
import type { z } from 'zod';
import type { AlertSource } from '../core/alert.ts';
import type { Duration } from '../core/duration.ts';
import type { EvidenceKind } from '../core/evidence.ts';
import type { RetryPolicy } from '../core/retry.ts';
import type { CircuitBreakerOptions } from './circuit-breaker.ts';

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
  /**
   * A credential from the environment, registered for redaction before it is returned: wherever the
   * value later shows up (output, error, evidence, log, Slack) it reads [REDACTED]. Throws a
   * non-retryable error when the variable is not set.
   */
  secret(name: string): string;
  /**
   * Runs a command on a host over SSH (`host`, `host:port`, `user@host`): the host key must be pinned
   * (SSH_KNOWN_HOSTS), the output is captured, capped, redacted and attached as evidence, and a non-zero
   * exit throws an error carrying the exit code. Bound to the step's signal, like `http`.
   */
  ssh(host: string, command: string, opts?: HostCommandOptions): Promise<HostCommandResult>;
}

/** Options of `ctx.ssh` (and of `firebreak/integrations`' sshClient). */
export interface HostCommandOptions {
  /** The login user; default SSH_USER. */
  user?: string;
  /** Default 22 (or the port written in the host). */
  port?: number;
  /** The channel is killed and the attempt fails (retryable) after this long. Default SSH_COMMAND_TIMEOUT. */
  timeout?: Duration;
  /** Bytes kept of stdout and of stderr, each (default 64 KiB); the rest is dropped and marked truncated. */
  maxOutputBytes?: number;
  /** Exit codes that count as success (default [0]): `grep` ends with 1 when nothing matched. */
  okExitCodes?: readonly number[];
  /** Exit codes worth another attempt (default none: a failed command is not retried). */
  retryExitCodes?: readonly number[];
  /** Attach the output as evidence: true (default, titled `host: command`), a title, or false. */
  evidence?: boolean | string;
  /** known_hosts lines trusted for this call, besides SSH_KNOWN_HOSTS. */
  knownHosts?: string;
}

/** What a command on a host did. stdout and stderr are redacted and capped. */
export interface HostCommandResult {
  /** `user@host:port`. */
  target: string;
  command: string;
  exitCode: number | null;
  /** The signal that ended the command (`KILL`), when it did not exit. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
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

/**
 * Who may decide a gate and how. The same on an approval step and on a mitigation's `approval`; `I` and
 * `S` type the step context the summary is built from.
 */
export interface ApprovalPolicy<I = unknown, S = Outputs> {
  approvers?: readonly string[];
  groups?: readonly string[];
  /** Approvals needed. Default 1. */
  quorum?: number;
  timeout?: Duration;
  onTimeout?: 'reject' | 'approve' | { escalate: string; extend: Duration };
  /** Who may decide, beyond approvers: API roles (approver, admin). */
  roles?: readonly string[];
  /** Shown to approvers (Slack, the web page, the CLI): a string, or built from the run's input and steps. */
  summary?: string | ((ctx: StepContext<I, S>) => string);
}

export interface VerifyOptions<I, S, A> {
  /** Wait this long after apply before checking. */
  after?: Duration;
  check: (ctx: StepContext<I, S> & { applied: A }) => Awaitable<boolean>;
  /** revert (default): revert and fail the run, so the saga reverts the rest; continue: record and go on. */
  onFail?: 'revert' | 'continue';
}

/**
 * At most `max` applies of this mitigation per sliding window `per`, counted across every run and
 * replica. An apply that would overspend waits at an approval gate (or fails, `onExceeded: 'fail'`).
 */
export interface MitigationBudget<I = unknown, S = Outputs> {
  /** Applies allowed within the window (an integer ≥ 1). */
  max: number;
  /** The sliding window: '1h', '30m', '1d'. */
  per: Duration;
  /**
   * Whose budget an apply counts against: 'global' (default) is one budget for this runbook's
   * mitigation; a function of the input gives one budget per value (e.g. per namespace).
   */
  scope?: 'global' | ((input: I) => string);
  /** approval (default): wait at a gate an approver may let through; fail: fail the step, not retried. */
  onExceeded?: 'approval' | 'fail';
  /**
   * Who may let an over-budget apply through. Default: the approvers, groups, roles and timeout of the
   * mitigation's own `approval`, else any approver. Its summary is the budget's reason.
   */
  approval?: Omit<ApprovalPolicy<I, S>, 'summary'>;
}

export interface MitigationOptions<I, S, A> extends CommonStepOptions<I, S> {
  /** A gate that opens right before `apply`: the same policy as an approval step. */
  approval?: ApprovalPolicy<I, S>;
  apply: (ctx: StepContext<I, S>) => Awaitable<A>;
  revert: (ctx: StepContext<I, S> & { applied: A }) => Awaitable<unknown>;
  verify?: VerifyOptions<I, S, A>;
  /** What the mitigation would do, for dry runs and drills. Without it, a dry run records "would apply". */
  dryRun?: (ctx: StepContext<I, S>) => Awaitable<unknown>;
  /** Retry policy of the revert (default 5 attempts). */
  revertRetry?: Partial<RetryPolicy>;
  /** A limit on applies across runs: `{ max: 3, per: '1h', scope: (input) => input.namespace }`. */
  budget?: MitigationBudget<I, S>;
}

export interface ApprovalStepOptions<I, S> extends CommonStepOptions<I, S>, ApprovalPolicy<I, S> {}

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

/** What a game day's `inject` gets: the drill it belongs to and a fetch bound to its timeout. */
export interface GameDayInjectContext {
  runbookId: string;
  gameDayId: string;
  incidentId: string;
  runId: string;
  /** The due time it fired for (for a manual run, when it was asked for). */
  dueAt: Date;
  /** Aborted at the inject timeout (30 s) or when the scheduler stops. */
  signal: AbortSignal;
  http(url: string | URL, init?: RequestInit): Promise<Response>;
  log(message: string, data?: Record<string, unknown>): void;
}

/** Pass/fail thresholds of a game day's scorecard. Each one set adds a check. */
export interface GameDayTargets {
  /** Time to detect: from the inject to the matching alert's arrival through a webhook. */
  detectWithin?: Duration;
  /** Time to mitigate: from the start of the drill to the first mitigation applied (dry run: would apply). */
  mitigateWithin?: Duration;
  /** Time the drill's approval gates waited for a decision, summed. */
  approvalWithin?: Duration;
  /** Failed, rejected or expired steps and failed reverts allowed. Default 0. */
  maxFailedSteps?: number;
}

/** A scheduled rehearsal of the runbook on a drill incident (ARCHITECTURE.md, "Game days"). */
export interface GameDay {
  /** Letters, digits, - _ . ; unique within the runbook. */
  id: string;
  /** 5 fields, or 6 with seconds first. */
  cron: string;
  /** IANA time zone the cron expression is read in. Default UTC. */
  timezone?: string;
  /** dry-run: mitigations run `dryRun` or are recorded as "would apply". live: real apply and revert. */
  mode: 'dry-run' | 'live';
  /** The run's input. Default: the runbook input schema's defaults (the schema parsing `{}`). */
  input?: unknown;
  /** Called once when the drill fires, by the replica that fired it: cause the fault to rehearse. */
  inject?: (ctx: GameDayInjectContext) => Awaitable<unknown>;
  /** Wait for the real alert (labels matched like triggers) to arrive through a webhook, until `within`. */
  detect?: { labels: Trigger; within: Duration };
  /** Approve the drill's gates automatically, as identity "gameday". Default false: people decide. */
  autoApprove?: boolean;
  /** live: revert what the drill applied once the run has succeeded. Default true. */
  rollback?: boolean;
  targets?: GameDayTargets;
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
  /**
   * Only alerts from these sources start it (default: any). A runbook that acts on what an alert names —
   * a PagerDuty page, a host — should say where such alerts may come from: any webhook sender can send
   * labels that match its triggers.
   */
  sources?: readonly AlertSource[];
  input: Schema;
  fromAlert?: (alert: AlertLike) => z.input<Schema>;
  concurrency?: { key: (input: z.output<Schema>) => string; limit: number };
  gameDays?: readonly GameDay[];
  /** Default retry policy for this runbook's steps. */
  retry?: Partial<RetryPolicy>;
  /**
   * When a resolved incident re-fires within FLAP_WINDOW it reopens, and each matching runbook runs
   * again, unless its last run for that incident ended less than `cooldown` ago (or is still going).
   */
  cooldown?: Duration;
  /**
   * Environment variables this runbook reads credentials from: their values are redacted everywhere from
   * the moment the runbook loads (ctx.secret does the same for one read).
   */
  secrets?: readonly string[];
  /** Slack: post this runbook's runs (progress, approvals) to this channel id, in a thread of their own. */
  slack?: { channel?: string };
  /**
   * Circuit breaking of `ctx.http` per target host, shared by every run in the process (on by default:
   * 5 consecutive failures, 30 s cool-down, a step waits at most 10 m); `false` turns it off here.
   */
  circuitBreaker?: CircuitBreakerOptions | false;
  postmortem?: (ctx: {
    input: z.output<Schema>;
    steps: Outputs;
  }) => Awaitable<{ title: string; body: string }[]>;
}

/** What every step carries, whatever its kind (erased from `CommonStepOptions`). */
export interface StepDefCommon {
  name: string;
  /** As written; undefined means "after the previous step". */
  needs: readonly string[] | undefined;
  when?: (ctx: StepContext<unknown, Outputs>) => Awaitable<boolean>;
  retry?: Partial<RetryPolicy>;
  timeout?: Duration;
}

/** The field that holds each kind's own options (a diagnostic's is its function). */
interface KindFields {
  diagnostic: { run: (ctx: StepContext<unknown, Outputs>) => Awaitable<unknown> };
  mitigation: { mitigation: MitigationOptions<unknown, Outputs, unknown> };
  approval: { approval: ApprovalStepOptions<unknown, Outputs> };
  sleep: { sleep: SleepOptions<unknown, Outputs> };
  notify: { notify: NotifyOptions<unknown, Outputs> };
  forEach: { forEach: ForEachOptions<unknown, Outputs, unknown, unknown> };
}

type KindField = { [K in StepKind]: keyof KindFields[K] }[StepKind];

/**
 * The runtime form of one step of kind `K`, with types erased: the common fields and that kind's own.
 * The other kinds' fields are declared absent, so code holding any StepDef may still read
 * `def.mitigation?.budget` while code that checked `kind` gets the field without an assertion.
 */
export type StepDefOf<K extends StepKind> = K extends StepKind
  ? StepDefCommon & { kind: K } & KindFields[K] & { [F in Exclude<KindField, keyof KindFields[K]>]?: never }
  : never;

/** The runtime form of one step, with types erased: a union discriminated by `kind`. */
export type StepDef = StepDefOf<StepKind>;
