// A firebreak instance for one test, on the test's own database, with fast polling so nothing waits long.
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import { createFirebreak, type Firebreak, type FirebreakOptions } from '../../src/firebreak.ts';
import { connectOptionsOf, type TestDatabase, testDatabase } from './db.ts';

export interface TestFirebreak extends Firebreak {
  db: TestDatabase;
}

export async function testFirebreak(
  runbooks: readonly AnyRunbook[],
  opts: Omit<FirebreakOptions, 'runbooks'> & { db?: TestDatabase } = {},
): Promise<TestFirebreak> {
  const db = opts.db ?? (await testDatabase());
  // On a test's own clock the database lease ends only when the test moves time. A heartbeat late by more
  // than the lease (a loaded CI machine, PGlite blocking the event loop) would drop the run here while
  // the row stays leased forever: nothing could claim it again. So a run keeps its lease for a minute of
  // real time unless the test asks otherwise; lease tests pass their own leaseMs.
  const leaseMs = opts.clock ? 60_000 : 2_000;
  const fb = await createFirebreak({
    ...connectOptionsOf(db),
    poolSize: 4,
    ...opts,
    runbooks,
    engine: { pollIntervalMs: 100, heartbeatMs: 200, leaseMs, ...opts.engine },
  });
  const close = fb.close;
  const ownDb = !opts.db;
  const closeAll = async () => {
    await close();
    if (ownDb) await db.drop();
  };
  return { ...fb, db, close: closeAll, [Symbol.asyncDispose]: closeAll };
}

/** The journal of one run as event types, in commit order. */
export async function journal(fb: Firebreak, runId: string): Promise<string[]> {
  const view = await fb.view(runId);
  if (!view) throw new Error(`run ${runId} not found`);
  return view.events.map((e) => e.type);
}

/** A promise the test settles by hand: steps block on it to be "in the middle" of their work. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves when the step's signal aborts, with the abort reason. */
export function untilAborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(signal.reason);
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}
