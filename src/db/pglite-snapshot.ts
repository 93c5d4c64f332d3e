// A PGlite data directory with every migration applied, made once by the build (make-snapshot.ts) and
// loaded by every new PGlite database instead of running initdb and the migrations: initdb alone takes
// seconds of WebAssembly on a small machine, for each in-memory test database and at a first start.
// It is used only when it was made from exactly the migrations in drizzle/ and by this PGlite version;
// otherwise the database is made the slow way, with the same result.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { pgliteInitDbParams } from './pglite-settings.ts';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Where the build puts it: dist/pglite/ (found the same way from src/db and dist/db). */
export const snapshotFolder = fileURLToPath(new URL('../../dist/pglite', import.meta.url));

export interface SnapshotStamp {
  /** sha256 of drizzle/meta/_journal.json, every drizzle/*.sql, and how PGlite is started (driver.ts). */
  migrations: string;
  /** The PGlite package version that wrote the data directory. */
  pglite: string;
}

let hash: string | undefined;

/** Identifies the migration set, so a snapshot made before a migration changed is never loaded. */
export function migrationsHash(folder = migrationsFolder): string {
  if (folder === migrationsFolder && hash) return hash;
  const h = createHash('sha256');
  const files = ['meta/_journal.json', ...readdirSync(folder).filter((f) => f.endsWith('.sql'))].sort();
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(folder, f)));
  }
  h.update(`initdb ${pgliteInitDbParams.join(' ')}`);
  const out = h.digest('hex');
  if (folder === migrationsFolder) hash = out;
  return out;
}

export function pgliteVersion(): string {
  // The package exports no ./package.json; its entry point is <package>/dist/index.cjs.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const pkg = join(dirname(dirname(entry)), 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * The migrated data directory as a tar Blob for `PGlite.create({ loadDataDir })`, or null if none fits.
 * Read anew each time (tens of MB once unpacked): a long-running serve must not keep it.
 */
export function migratedSnapshot(folder = snapshotFolder): Blob | null {
  try {
    const stamp = JSON.parse(readFileSync(join(folder, 'migrated.json'), 'utf8')) as SnapshotStamp;
    if (stamp.migrations !== migrationsHash() || stamp.pglite !== pgliteVersion()) return null;
    return new Blob([brotliDecompressSync(readFileSync(join(folder, 'migrated.tar.br')))]);
  } catch {
    return null; // not built (a checkout before `npm run build`): initdb and the migrations instead
  }
}

/** What make-snapshot.ts writes: the tar compressed (brotli: a third smaller than gzip here) and its stamp. */
export function encodeSnapshot(tar: Uint8Array): { data: Buffer; stamp: SnapshotStamp } {
  return {
    data: brotliCompressSync(tar, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }),
    stamp: { migrations: migrationsHash(), pglite: pgliteVersion() },
  };
}
