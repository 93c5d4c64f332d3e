// bench:engine's workload, shared with bench:history: a runbook of three no-op steps returning small
// JSON, each step committed before the next, started `runs` times with `concurrency` in flight.
import { type Firebreak, runbook, z } from '../../src/index.ts';
import { type MeasuredBatch, measureEach } from './stats.ts';

export const noopRunbook = runbook({
  id: 'bench-noop',
  title: 'Three no-op steps',
  input: z.object({ i: z.number() }),
})
  .diagnostic('one', async ({ input }) => ({ step: 1, i: input.i }))
  .diagnostic('two', async ({ steps }) => ({ step: 2, prev: steps.one.step }))
  .diagnostic('three', async ({ steps }) => ({ step: 3, prev: steps.two.step }));

/** Runs the workload; every run must succeed. */
export function runNoops(fb: Firebreak, runs: number, concurrency: number): Promise<MeasuredBatch> {
  return measureEach(runs, concurrency, async (i) => {
    const run = await fb.run('bench-noop', { i });
    if (run.status !== 'succeeded') throw new Error(`run ${run.id} ended ${run.status}`);
  });
}
