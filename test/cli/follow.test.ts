// `run --follow` against a run that finishes between two of the follower's reads: the lines must still
// all be printed. CI once saw a run finish that fast on PostgreSQL; here the race is forced, not hoped for.
import { expect, test } from 'vitest';
import { follow } from '../../src/cli/run.ts';
import { runbook, z } from '../../src/index.ts';
import type { Store } from '../../src/store/store.ts';
import { deferred, testFirebreak } from '../support/engine.ts';

test('a run that finishes right after an empty journal read still has every step printed', async () => {
  const gate = deferred();
  const rb = runbook({ id: 'quick', title: 'quick', input: z.object({}) })
    .diagnostic('first', async () => {
      await gate.promise;
      return 1;
    })
    .diagnostic('second', async () => 2);
  await using fb = await testFirebreak([rb]);
  const started = fb.engine.events.waitFor('step.started', (e) => e.step === 'first');
  const { runId } = await fb.start('quick', {});
  await started;

  // The store the follower sees: once the journal has been read past run.created, one read returns
  // what it saw and only then lets the run finish, so the committed steps land "between" the reads.
  let raced = false;
  const store = new Proxy(fb.store, {
    get(target, prop, receiver) {
      if (prop !== 'listEvents') return Reflect.get(target, prop, receiver);
      const listEvents: Store['listEvents'] = async (filter) => {
        const seen = await target.listEvents(filter);
        if (!raced && (filter.afterSeq ?? 0) > 0 && seen.length === 0) {
          raced = true;
          gate.resolve();
          await fb.result(runId, { timeoutMs: 10_000 });
        }
        return seen;
      };
      return listEvents;
    },
  });

  const lines: string[] = [];
  const run = await follow({ store, engine: fb.engine }, runId, { out: (l) => lines.push(l), err: () => {} });
  expect(raced).toBe(true);
  expect(run.status).toBe('succeeded');
  const out = lines.join('\n');
  expect(out).toMatch(/✓ first[\s\S]*✓ second[\s\S]*succeeded in \d+ ms/);
});
