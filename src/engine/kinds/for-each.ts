// forEach: fan-out over a list fixed once, with bounded concurrency; each item is its own checkpoint
// (`<step>[i]`), and the step's output is the list of item outputs in item order (fan-in).
import type { SerializedError } from '../../core/errors.ts';
import type { StepDefOf } from '../../dsl/types.ts';
import { attempt, policyFor, timeoutFor } from '../attempts.ts';
import type { RunExecutor } from '../executor.ts';
import { fail, succeed } from '../step-results.ts';
import type { StepOutcome } from '../step-state.ts';
import { done, phase, type StepKindHandler } from './kind.ts';

export const forEach: StepKindHandler<'forEach'> = {
  async execute(ex, def, st) {
    const f = def.forEach;
    if (!Array.isArray(st.state.items)) {
      const res = await attempt(ex, st, phase(ex, def, 'items'), (inv) => f.items(inv.ctx));
      if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
      if (!res.ok) return fail(ex, st, { error: res.error, phase: 'items', attempt: res });
      const items = [...(res.value as unknown[])];
      st.state.items = items;
      st.status = 'running';
      // The list is fixed once: a resumed run works through the same items even if the source changed.
      await ex.commit({
        steps: [ex.stepWrite(st)],
        evidence: res.evidence,
        events: [ex.event('foreach.items', st.key, { count: items.length })],
      });
    }
    const items = st.state.items as unknown[];
    const outcome = await pool(ex, def, items);
    if (outcome)
      return outcome.type === 'failed' ? fail(ex, st, { error: outcome.error, phase: 'items' }) : outcome;
    const output = items.map((_, i) => ex.state(`${def.name}[${i}]`, 'item').output);
    await succeed(ex, st, { stepName: def.name, output });
    return done;
  },
};

/** Runs the items not yet committed, at most `concurrency` at once; each item commits on its own. */
async function pool(
  ex: RunExecutor,
  def: StepDefOf<'forEach'>,
  items: unknown[],
): Promise<StepOutcome | null> {
  const f = def.forEach;
  const todo = items
    .map((_, i) => i)
    .filter((i) => ex.state(`${def.name}[${i}]`, 'item').status !== 'succeeded');
  let failed: SerializedError | null = null;
  const parkedAt: Date[] = [];
  const policy = policyFor(ex, def);
  const worker = async () => {
    for (let i = todo.shift(); i !== undefined && !failed; i = todo.shift()) {
      const item = items[i];
      const itemSt = ex.state(`${def.name}[${i}]`, 'item');
      const res = await attempt(
        ex,
        itemSt,
        { phase: 'run', policy, timeoutMs: timeoutFor(def), stepName: def.name, extra: { item, index: i } },
        (inv) => f.run(inv.ctx as Parameters<typeof f.run>[0]),
      );
      if ('parked' in res) parkedAt.push(res.parked);
      else if (!res.ok) {
        failed = res.error;
        await fail(ex, itemSt, { error: res.error, phase: 'run', attempt: res });
      } else
        await succeed(ex, itemSt, {
          stepName: def.name,
          output: res.value,
          attempt: { ...res, phase: 'run' },
          completesRun: false,
        });
    }
  };
  const width = Math.max(1, Math.min(f.concurrency ?? 4, todo.length));
  await Promise.all(Array.from({ length: width }, worker));
  if (failed) return { type: 'failed', error: failed };
  if (parkedAt.length > 0)
    return { type: 'parked', wakeAt: new Date(Math.min(...parkedAt.map((d) => d.getTime()))) };
  return null;
}
