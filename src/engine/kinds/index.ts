// The step kinds, keyed by kind, and the forward pass's entry to them: a step's `when` is settled
// first (skipped steps commit here), then its kind executes it.
import type { StepDef, StepKind } from '../../dsl/types.ts';
import type { RunExecutor, StepRunner } from '../executor.ts';
import { merge } from '../step-results.ts';
import type { StepOutcome, StepState } from '../step-state.ts';
import { approval } from './approval.ts';
import { diagnostic } from './diagnostic.ts';
import { forEach } from './for-each.ts';
import { done, evaluate, type StepKindHandler, type StepKindRegistry } from './kind.ts';
import { mitigation } from './mitigation.ts';
import { notify } from './notify.ts';
import { sleep } from './sleep.ts';

export const stepKindRegistry: StepKindRegistry = {
  diagnostic,
  mitigation,
  approval,
  sleep,
  notify,
  forEach,
};

export const stepKinds: StepRunner = {
  async run(ex, def) {
    const st = ex.state(def.name, def.kind);
    if (await skippedByWhen(ex, def, st)) return done;
    return execute(ex, def, st);
  },
};

/**
 * Hands `def` to its kind's handler. The registry's type gives each kind the handler of its own
 * definition; TypeScript cannot follow `def.kind` into that correlation (microsoft/TypeScript#30581), so
 * the handler is seen here as one that takes any step.
 */
function execute(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome> {
  const handler = stepKindRegistry[def.kind] as StepKindHandler<StepKind>;
  return handler.execute(ex, def, st);
}

/** `when` is evaluated once, on the step's first visit; false commits the step as skipped. */
async function skippedByWhen(ex: RunExecutor, def: StepDef, st: StepState): Promise<boolean> {
  const when = def.when;
  if (!when || st.status !== 'pending' || st.state.when !== undefined) return false;
  const res = await evaluate(ex, def, st, (ctx) => when(ctx));
  if ('error' in res) throw res.error;
  st.state.when = Boolean(res.value);
  if (st.state.when) return false;
  const now = ex.now();
  Object.assign(st, { status: 'skipped', finishedAt: now, output: null });
  await ex.commit(
    merge(
      {
        steps: [ex.stepWrite(st)],
        events: [ex.event('step.skipped', st.key, { reason: 'when returned false' })],
      },
      ex.completionFor(def.name, undefined),
    ),
  );
  ex.stepFinished(st);
  return true;
}
