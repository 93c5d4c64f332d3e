// The database under a store, for what the edges wire beside it: the store-layer readers and writers
// built on the same pool (incidents, outboxes, observability), how wake-ups arrive, and a worker wake-up.
// Edges reach the database through these functions, never through `SqlStore.driver` or src/db/driver.ts.
import { coalescedNotify } from '../db/coalesced-notify.ts';
import type { Queryable, SqlDriver } from '../db/driver.ts';
import { IncidentStore } from './incidents.ts';
import { WAKE_CHANNEL } from './sql-store.ts';

export type Database = SqlDriver;
export type { Queryable };

/** The store's database, to hand to the modules that keep their own statements on it. */
export function databaseOf(store: { readonly driver: Database }): Database {
  return store.driver;
}

export function incidentStoreOf(store: { readonly driver: Database }): IncidentStore {
  return new IncidentStore(store.driver);
}

/** How wake-ups arrive: NOTIFY on a listening connection, or only the engine's polling. */
export function wakeupsOf(store: { readonly driver: Database }): 'notify' | 'polling' {
  return store.driver.wakeups;
}

/** Tells every worker that a run is due (coalesced: many calls in a burst send one NOTIFY). */
export function runWakeupOf(store: { readonly driver: Database }): () => void {
  return coalescedNotify(store.driver, WAKE_CHANNEL, 'run');
}
