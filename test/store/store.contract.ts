// The store contract: one suite that every Store implementation must pass. The tests share one store,
// opened with `open`, and keep to rows they created; tests of claims, which take any due run, first
// finish every run that earlier tests left behind.
import { afterAll, beforeAll, describe } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import { approvalContract } from './contract/approvals.ts';
import { budgetContract } from './contract/budgets.ts';
import { commitContract } from './contract/commit.ts';
import { concurrencyContract } from './contract/concurrency.ts';
import { journalContract } from './contract/journal.ts';
import { leaseContract } from './contract/leases.ts';
import { runContract } from './contract/runs.ts';
import type { Backend, OpenedStore, OpenStore } from './contract/support.ts';
import { wakeContract } from './contract/wake.ts';

export type { OpenedStore, OpenStore } from './contract/support.ts';

const sections: [string, (backend: Backend) => void][] = [
  ['runs', runContract],
  ['commit', commitContract],
  ['leases', leaseContract],
  ['concurrency slots', concurrencyContract],
  ['approvals', approvalContract],
  ['journal and evidence', journalContract],
  ['wake-ups', wakeContract],
  ['mitigation budgets', budgetContract],
];

export function storeContract(name: string, open: OpenStore): void {
  describe(name, () => {
    let opened: OpenedStore | undefined;
    let peer: Promise<Store> | undefined;
    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.close();
    });
    const current = () => {
      if (!opened) throw new Error('store contract: the store is not open');
      return opened;
    };
    const b: Backend = {
      shared: () => current().store,
      async quiet() {
        await finishEveryRun(current().store);
        return current().store;
      },
      async workers(n) {
        const { store } = current();
        peer ??= current().peer?.() ?? Promise.resolve(store);
        const other = await peer;
        return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? store : other));
      },
    };
    for (const [title, section] of sections) describe(title, () => section(b));
  });
}

const JANITOR = 'contract-janitor';
const END_OF_TIME = new Date('2100-01-01T00:00:00.000Z');

/** Claims every run that is or will become due (all leases have expired by 2100) and cancels it. */
async function finishEveryRun(store: Store): Promise<void> {
  for (;;) {
    const claimed = await store.claimRuns(JANITOR, END_OF_TIME, 60_000, 100);
    if (claimed.length === 0) return;
    await Promise.all(
      claimed.map(({ run }) =>
        store.commit(
          { owner: JANITOR, epoch: run.claims },
          {
            runId: run.id,
            incidentId: run.incidentId,
            run: { status: 'cancelled', releaseLease: true, finishedAt: END_OF_TIME },
          },
        ),
      ),
    );
  }
}
