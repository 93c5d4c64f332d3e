// The runbook builder. Each step method returns a new builder whose type knows one more step output;
// the runtime keeps an erased StepDef list. Runbooks are values, so a module may export several.
import type { z } from 'zod';
import type {
  ApprovalOutcome,
  ApprovalStepOptions,
  Awaitable,
  CommonStepOptions,
  ForEachOptions,
  MitigationOptions,
  NotifyOptions,
  Outputs,
  RunbookOptions,
  SleepOptions,
  StepContext,
  StepDef,
  StepDefCommon,
  StepDefOf,
} from './types.ts';

const RUNBOOK = Symbol.for('firebreak.runbook');

type Needed<S, D extends keyof S> = [D] extends [never] ? {} : Pick<S, D>;
type Add<S, N extends string, O> = S & { [K in N]: O };

export class Runbook<Schema extends z.ZodType = z.ZodType, S extends Outputs = {}> {
  readonly [RUNBOOK] = true;

  constructor(
    readonly options: RunbookOptions<Schema>,
    readonly steps: readonly StepDef[] = [],
  ) {}

  get id(): string {
    return this.options.id;
  }

  private add<N extends string, O>(def: StepDef): Runbook<Schema, Add<S, N, O>> {
    return new Runbook(this.options, [...this.steps, def]);
  }

  /** Read-only step, retried freely. */
  diagnostic<N extends string, O>(
    name: N,
    fn: (ctx: StepContext<z.output<Schema>, S>) => Awaitable<O>,
  ): Runbook<Schema, Add<S, N, Awaited<O>>>;
  diagnostic<N extends string, O, const D extends keyof S & string = never>(
    name: N,
    opts: CommonStepOptions<z.output<Schema>, S> & { needs?: readonly D[] },
    fn: (ctx: StepContext<z.output<Schema>, [D] extends [never] ? S : Needed<S, D>>) => Awaitable<O>,
  ): Runbook<Schema, Add<S, N, Awaited<O>>>;
  diagnostic(name: string, a: unknown, b?: unknown): unknown {
    const [opts, fn] = typeof a === 'function' ? [{}, a] : [a as CommonStepOptions<unknown, Outputs>, b];
    return this.add({ ...erase(opts), name, kind: 'diagnostic', run: fn as StepDefOf<'diagnostic'>['run'] });
  }

  /** A reversible change: apply, revert, optional verify, dryRun and approval gate. */
  mitigation<N extends string, A, const D extends keyof S & string = never>(
    name: N,
    opts: MitigationOptions<z.output<Schema>, [D] extends [never] ? S : Needed<S, D>, A> & {
      needs?: readonly D[];
    },
  ): Runbook<Schema, Add<S, N, Awaited<A>>> {
    const m = opts as unknown as MitigationOptions<unknown, Outputs, unknown>;
    return this.add({ ...erase(m), name, kind: 'mitigation', mitigation: m });
  }

  /** A gate on its own: the run waits (as a row, not a promise) until the policy is met. */
  approval<N extends string, const D extends keyof S & string = never>(
    name: N,
    opts: ApprovalStepOptions<z.output<Schema>, [D] extends [never] ? S : Needed<S, D>> & {
      needs?: readonly D[];
    },
  ): Runbook<Schema, Add<S, N, ApprovalOutcome>> {
    const a = opts as unknown as ApprovalStepOptions<unknown, Outputs>;
    return this.add({ ...erase(a), name, kind: 'approval', approval: a });
  }

  /** A durable timer. */
  sleep<N extends string, const D extends keyof S & string = never>(
    name: N,
    opts: SleepOptions<z.output<Schema>, [D] extends [never] ? S : Needed<S, D>> & { needs?: readonly D[] },
  ): Runbook<Schema, Add<S, N, { until: string }>> {
    const s = opts as unknown as SleepOptions<unknown, Outputs>;
    return this.add({ ...erase(s), name, kind: 'sleep', sleep: s });
  }

  /** A message to the incident's channel. */
  notify<N extends string, const D extends keyof S & string = never>(
    name: N,
    opts: NotifyOptions<z.output<Schema>, [D] extends [never] ? S : Needed<S, D>> & { needs?: readonly D[] },
  ): Runbook<Schema, Add<S, N, { delivered: boolean; message: string }>> {
    const n = opts as unknown as NotifyOptions<unknown, Outputs>;
    return this.add({ ...erase(n), name, kind: 'notify', notify: n });
  }

  /** Fan-out over a list with bounded concurrency; each item is checkpointed on its own. The output is the
   * list of item outputs in item order (fan-in). */
  forEach<N extends string, T, O, const D extends keyof S & string = never>(
    name: N,
    opts: ForEachOptions<z.output<Schema>, [D] extends [never] ? S : Needed<S, D>, T, O> & {
      needs?: readonly D[];
    },
  ): Runbook<Schema, Add<S, N, Awaited<O>[]>> {
    const f = opts as unknown as ForEachOptions<unknown, Outputs, unknown, unknown>;
    return this.add({ ...erase(f), name, kind: 'forEach', forEach: f });
  }
}

function erase(opts: CommonStepOptions<unknown, Outputs>): Omit<StepDefCommon, 'name'> {
  const out: Omit<StepDefCommon, 'name'> = { needs: opts.needs };
  if (opts.when) out.when = opts.when;
  if (opts.retry) out.retry = opts.retry;
  if (opts.timeout !== undefined) out.timeout = opts.timeout;
  return out;
}

export function runbook<Schema extends z.ZodType>(options: RunbookOptions<Schema>): Runbook<Schema, {}> {
  return new Runbook(options);
}

export function isRunbook(value: unknown): value is Runbook {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RUNBOOK] === true;
}

export type AnyRunbook = Runbook<z.ZodType, Outputs>;
