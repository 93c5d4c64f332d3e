// The database under a store, for what the edges wire beside it: the store-layer readers and writers
// built on the same pool (incidents, outboxes, observability), how wake-ups arrive, and a worker wake-up.
// The handles (`Db`: the driver or a transaction on it; `DbDriver`: the driver itself) are passed along
// above src/store, never queried: every statement is a function of src/store.
import { coalescedNotify } from '../db/coalesced-notify.ts';
import type { SqlDriver } from '../db/driver.ts';
import { WAKE_CHANNEL } from '../db/wake-channel.ts';
import { IncidentStore } from './incidents.ts';

export type { Queryable as Db, Row, SqlDriver as DbDriver } from '../db/driver.ts';

/** The store's database, to hand to the modules that keep their own statements on it. */
export function databaseOf(store: { readonly driver: SqlDriver }): SqlDriver {
  return store.driver;
}

export function incidentStoreOf(store: { readonly driver: SqlDriver }): IncidentStore {
  return new IncidentStore(store.driver);
}

/** How wake-ups arrive: NOTIFY on a listening connection, or only the engine's polling. */
export function wakeupsOf(store: { readonly driver: SqlDriver }): 'notify' | 'polling' {
  return store.driver.wakeups;
}

/** Tells every worker that a run is due (coalesced: many calls in a burst send one NOTIFY). */
export function runWakeupOf(store: { readonly driver: SqlDriver }): () => void {
  return coalescedNotify(store.driver, WAKE_CHANNEL, 'run');
}
