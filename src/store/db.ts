// The database handles the store's statement functions and classes take: `Db`, the driver or a
// transaction on it; `DbDriver`, the driver itself (IncidentStore, wake-ups). Above src/store they are
// passed along, never queried: every statement is a function of src/store.
export type { Queryable as Db, Row, SqlDriver as DbDriver } from '../db/driver.ts';
