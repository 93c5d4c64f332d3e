// diagnostic: a read-only function of the step context, retried freely; its value is the output.

import type { StepDef } from '../../dsl/types.ts';
import { attempt } from '../attempts.ts';
import type { RunExecutor } from '../executor.ts';
import { fail, succeed } from '../step-results.ts';
import type { StepOutcome, StepState } from '../step-state.ts';
import { type Ctx, done, phase, type StepKindHandler } from './kind.ts';

export const diagnostic: StepKindHandler<'diagnostic'> = {
  execute: (ex, def, st) => runFunctionStep(ex, def, st, (ctx) => def.run(ctx)),
};

/** One function under the step's retry policy: its value is the step's output. */
export async function runFunctionStep(
  ex: RunExecutor,
  def: StepDef,
  st: StepState,
  fn: (ctx: Ctx) => unknown,
): Promise<StepOutcome> {
  const res = await attempt(ex, st, phase(ex, def, 'run'), (inv) => fn(inv.ctx));
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  if (!res.ok) return fail(ex, st, { error: res.error, phase: 'run', attempt: res });
  await succeed(ex, st, { stepName: def.name, output: res.value, attempt: { ...res, phase: 'run' } });
  return done;
}
