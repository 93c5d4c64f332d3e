// PGlite with the durability of PostgreSQL. PGlite starts postgres with `-F` (fsync off), and its
// Node file system (Emscripten's NODEFS) has no fsync: a commit was acknowledged once its WAL reached
// the kernel's page cache. That survives a killed process, not a power cut or a kernel crash. Here
// fsync is on, the WAL is flushed with fsync() (wal_sync_method=fdatasync reaches a no-op stub in
// Emscripten), and NODEFS's fsync calls the real fsync(2): a commit is acknowledged only once it is on
// disk, as on PostgreSQL.
import { fsyncSync } from 'node:fs';
import type { PGliteOptions } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

let syncs = 0;

/** How many fsync(2) calls PGlite made through this module (tests check that commits reach the disk). */
export function pgliteSyncCount(): number {
  return syncs;
}

interface NodeFsModule {
  NODEFS?: { stream_ops?: { fsync?: (stream: { nfd?: number }) => number } };
}

class DurableNodeFS extends NodeFS {
  override async init(...args: Parameters<NodeFS['init']>): ReturnType<NodeFS['init']> {
    const out = await super.init(...args);
    const preRun = out.emscriptenOpts.preRun ?? [];
    out.emscriptenOpts.preRun = [
      (mod: NodeFsModule) => {
        const ops = mod.NODEFS?.stream_ops;
        // Without the hook the data would silently be as fragile as before: refuse to start instead.
        if (!ops) throw new Error('PGlite changed: NODEFS.stream_ops not found, cannot make fsync durable');
        ops.fsync = (stream) => {
          if (stream.nfd !== undefined) fsyncSync(stream.nfd);
          syncs++;
          return 0;
        };
      },
      ...preRun,
    ];
    return out;
  }
}

/** `startParams`: firebreak's own (pglite-settings.ts), made durable here. */
export function durablePglite(dataDir: string, startParams: readonly string[]): PGliteOptions {
  return {
    fs: new DurableNodeFS(dataDir),
    startParams: [
      ...startParams.filter((p) => p !== '-F'),
      '-c',
      'fsync=on',
      '-c',
      'wal_sync_method=fsync',
      '-c',
      'synchronous_commit=on',
    ],
  };
}
