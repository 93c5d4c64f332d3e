// A firebreak instance for one test, on the test's own database, with fast polling so nothing waits long.
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import { createFirebreak, type Firebreak, type FirebreakOptions } from '../../src/firebreak.ts';
import { type TestDatabase, testDatabase } from './db.ts';

export interface TestFirebreak extends Firebreak {
  db: TestDatabase;
}

export async function testFirebreak(
  runbooks: readonly AnyRunbook[],
  opts: Omit<FirebreakOptions, 'runbooks'> & { db?: TestDatabase } = {},
): Promise<TestFirebreak> {
  const db = opts.db ?? (await testDatabase());
  const fb = await createFirebreak({
    databaseUrl: db.databaseUrl,
    dataDir: db.dataDir,
    poolSize: 4,
    ...opts,
    runbooks,
    engine: { pollIntervalMs: 100, heartbeatMs: 200, leaseMs: 2_000, ...opts.engine },
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
