// Run by the build (scripts/build.mjs) from dist/db: writes dist/pglite/migrated.tar.br and its stamp,
// the migrated PGlite data directory that pglite-snapshot.ts loads. Not part of the public API.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { pgliteInitDbParams, pgliteStartParams } from './pglite-settings.ts';
import { encodeSnapshot, migratedSnapshot, migrationsFolder, snapshotFolder } from './pglite-snapshot.ts';

const out = fileURLToPath(new URL('../pglite/', import.meta.url));
// The build runs this from a folder beside dist/: the last build's snapshot still fits if the
// migrations and PGlite did not change, and making one takes a PGlite initdb (seconds).
if (migratedSnapshot() !== null) {
  if (resolve(snapshotFolder) !== resolve(out)) cpSync(snapshotFolder, out, { recursive: true });
  process.exit(0);
}
const pg = await PGlite.create('memory://', {
  startParams: pgliteStartParams,
  initDbStartParams: pgliteInitDbParams,
});
try {
  await migrate(drizzle(pg), { migrationsFolder });
  // A checkpoint first: the snapshot then needs no WAL replay when it is opened.
  await pg.exec('CHECKPOINT');
  const tar = new Uint8Array(await (await pg.dumpDataDir('none')).arrayBuffer());
  const { data, stamp } = encodeSnapshot(tar);
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}migrated.tar.br`, data);
  writeFileSync(`${out}migrated.json`, `${JSON.stringify(stamp, null, 2)}\n`);
} finally {
  await pg.close();
}
