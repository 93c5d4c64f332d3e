// A PGlite data directory with every migration applied, made once by the build (make-snapshot.ts) and
// loaded by every new PGlite database instead of running initdb and the migrations: initdb alone takes
// seconds of WebAssembly on a small machine, for each in-memory test database and at a first start.
// It is used only when it was made from exactly the migrations in drizzle/ and by this PGlite version;
// otherwise the database is made the slow way, with the same result.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { LOCK_FILE } from './data-dir-lock.ts';
import { migrationsFolder } from './migrations-folder.ts';
import { pgliteInitDbParams } from './pglite-settings.ts';

export { migrationsFolder };

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
  // schema.sql is a dump of what the migrations make (npm run db:dump), not a migration.
  const migrations = readdirSync(folder).filter((f) => f.endsWith('.sql') && f !== 'schema.sql');
  const files = ['meta/_journal.json', ...migrations].sort();
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
 * The migrated data directory as a tar, or null if none fits. Read anew each time (31 MB unpacked): a
 * long-running serve must not keep it.
 */
function migratedTar(folder: string): Buffer | null {
  try {
    const stamp = JSON.parse(readFileSync(join(folder, 'migrated.json'), 'utf8')) as SnapshotStamp;
    if (stamp.migrations !== migrationsHash() || stamp.pglite !== pgliteVersion()) return null;
    return brotliDecompressSync(readFileSync(join(folder, 'migrated.tar.br')));
  } catch {
    return null; // not built (a checkout before `npm run build`): initdb and the migrations instead
  }
}

/** The snapshot as a Blob for an in-memory PGlite (`PGlite.create({ loadDataDir })`), or null. */
export function migratedSnapshot(folder = snapshotFolder): Blob | null {
  const tar = migratedTar(folder);
  return tar ? new Blob([tar]) : null;
}

/**
 * Writes the snapshot's files into a new data directory, for PGlite to open as an existing database.
 * Done here rather than through loadDataDir, which holds the tar three times over in JavaScript memory
 * on its way in (~130 MB that a long-running serve then never gave back). Only into an empty directory
 * (or one this left half-written: a marker file says so); PG_VERSION, which makes it a database, is
 * written last. False when no snapshot fits or the directory holds something else.
 */
export function writeMigratedSnapshot(dataDir: string, folder = snapshotFolder): boolean {
  const marker = join(dataDir, '.firebreak-snapshot-incomplete');
  // The data-dir lock (taken first, held by this process) is the one file a new directory already holds.
  const held = readdirSync(dataDir).filter((f) => f !== LOCK_FILE);
  if (held.length > 0 && !existsSync(marker)) return false;
  const tar = migratedTar(folder);
  if (!tar) return false;
  writeFileSync(marker, '');
  let version: TarEntry | undefined;
  for (const entry of tarEntries(tar)) {
    if (entry.name === 'PG_VERSION') version = entry;
    else writeEntry(dataDir, entry);
  }
  if (!version) throw new Error('the PGlite snapshot has no PG_VERSION');
  writeEntry(dataDir, version);
  rmSync(marker);
  return true;
}

function writeEntry(dataDir: string, entry: TarEntry): void {
  const path = join(dataDir, entry.name);
  if (entry.type === 'dir') {
    mkdirSync(path, { recursive: true, mode: entry.mode });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, entry.data, { mode: entry.mode });
}

interface TarEntry {
  name: string;
  type: 'file' | 'dir';
  mode: number;
  data: Uint8Array;
}

/** The entries of a ustar archive as PGlite's dumpDataDir writes it: regular files and directories. */
function* tarEntries(tar: Buffer): Generator<TarEntry> {
  const text = (from: number, length: number) =>
    tar.toString('latin1', from, from + length).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar[at] === 0) return; // the two zero blocks that end the archive
    const name = `${text(at + 345, 155)}${text(at, 100)}`.replace(/^\/+/, '');
    const size = Number.parseInt(text(at + 124, 12).trim() || '0', 8);
    const flag = text(at + 156, 1) || '0';
    const mode = Number.parseInt(text(at + 100, 8).trim() || '600', 8) & 0o777;
    if (name.split('/').includes('..')) throw new Error(`snapshot entry ${name} leaves the data directory`);
    if (flag !== '0' && flag !== '5') throw new Error(`snapshot entry ${name} has tar type ${flag}`);
    yield { name, type: flag === '5' ? 'dir' : 'file', mode, data: tar.subarray(at + 512, at + 512 + size) };
    at += 512 + Math.ceil(size / 512) * 512;
  }
}

/** What make-snapshot.ts writes: the tar compressed (brotli: a third smaller than gzip here) and its stamp. */
export function encodeSnapshot(tar: Uint8Array): { data: Buffer; stamp: SnapshotStamp } {
  return {
    data: brotliCompressSync(tar, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }),
    stamp: { migrations: migrationsHash(), pglite: pgliteVersion() },
  };
}
