// How firebreak starts PGlite: the settings driver.ts opens every PGlite database with, and that the
// migrated snapshot (pglite-snapshot.ts) is made with and stamped by.
import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite runs PostgreSQL inside this process's memory: its initdb sized shared_buffers at 128 MB (the
 * WebAssembly heap touches all of it), which made a PGlite serve hold ~940 MB. 16 MB caches a small
 * firebreak's working set; a deployment that outgrows it belongs on PostgreSQL.
 */
export const pgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];
/**
 * WAL in 1 MB segments instead of 16 MB: a new database's WAL is one segment, so the snapshot every
 * in-memory database unpacks (pglite-snapshot.ts) is 31 MB instead of 41, and opens in about half the time.
 */
export const pgliteInitDbParams = ['--wal-segsize=1'];
