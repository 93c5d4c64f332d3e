// The store contract on the test database: PGlite by default, PostgreSQL when DATABASE_URL is set (there
// with a second store on the same database, so races run between two connection pools, as between workers).
import { connect } from '../../src/db/driver.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import type { Store } from '../../src/store/store.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { type OpenedStore, storeContract } from './store.contract.ts';

async function openSqlStore(): Promise<OpenedStore> {
  const db = await testDatabase();
  const open = async () => new SqlStore(await connect({ databaseUrl: db.databaseUrl, dataDir: db.dataDir }));
  const stores: Store[] = [await open()];
  const close = async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
  };
  if (!db.databaseUrl) return { store: stores[0]!, close };
  const peer = async () => {
    const s = await open();
    stores.push(s);
    return s;
  };
  return { store: stores[0]!, close, peer };
}

storeContract(onPostgres ? 'SqlStore on PostgreSQL' : 'SqlStore on PGlite', openSqlStore);
