// One process per PGlite data directory. PGlite is PostgreSQL in this process: two of them on one
// directory each keep their own buffers and WAL position and overwrite each other's pages (the server
// then failed every start with `RuntimeError: Aborted()`). So whoever opens a directory holds
// `firebreak.lock` in it for as long as it has it open, and everyone else is told who has it.
//
// The lock file is created with O_EXCL (atomic on local file systems) and names its holder: pid, host,
// start time, command. A holder that died without releasing it (SIGKILL, OOM, power loss) is detected and
// its lock taken over:
// - same host: the pid is gone, or it is alive but started at another time (the pid was reused), or it is
//   our own pid while this process holds nothing (a container restarted as pid 1 again);
// - another host (a volume moved between containers): the holder refreshes the file's mtime every
//   REFRESH_MS; one not refreshed for OTHER_HOST_STALE_MS is taken over.
// Two processes taking over the same stale lock at once are serialised by a second atomic step (mkdir of
// `firebreak.lock.takeover`), so exactly one of them ends up holding the directory.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { FirebreakError } from '../core/errors.ts';

export const LOCK_FILE = 'firebreak.lock';
const REFRESH_MS = 10_000;
const OTHER_HOST_STALE_MS = 60_000;
/** A takeover in progress takes milliseconds; one older than this was left by a process that died in it. */
const TAKEOVER_STALE_MS = 10_000;
/** A lock file just created may still be empty for a moment. */
const YOUNG_MS = 2_000;

export interface LockHolder {
  pid: number;
  host: string;
  /** When the holding process started (ISO). */
  startedAt: string;
  /** What holds it: "firebreak serve", "firebreak worker", … */
  command: string;
}

export class DataDirLockedError extends FirebreakError {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      'data_dir_locked',
      holder
        ? `PGlite data directory ${dir} is in use by ${describeHolder(holder)}: ` +
            'stop it, or use the CLI, which talks to the running server over HTTP (FIREBREAK_URL)'
        : `PGlite data directory ${dir} is being opened by another process right now; try again`,
      { nonRetryable: true, details: { dir, holder } },
    );
  }
}

export function describeHolder(h: LockHolder): string {
  return `${h.command}, pid ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}, since ${h.startedAt}`;
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The dead holder whose lock this one replaced, if any. */
  readonly tookOverFrom: LockHolder | null;
  release(): void;
}

/** Directories this process holds: a second open from the same process is refused as well. */
const heldHere = new Map<string, LockHolder>();

export function defaultLockCommand(argv = process.argv): string {
  const script = basename(argv[1] ?? 'node').replace(/\.[cm]?[jt]s$/, '');
  return script === 'firebreak' && argv[2] ? `firebreak ${argv[2]}` : script;
}

export async function lockDataDir(dir: string, command = defaultLockCommand()): Promise<DataDirLock> {
  const root = resolve(dir);
  const path = join(root, LOCK_FILE);
  const mine = heldHere.get(root);
  if (mine) throw new DataDirLockedError(root, mine);
  mkdirSync(root, { recursive: true });
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: processStart(), command };
  let tookOverFrom: LockHolder | null = null;
  for (let round = 0; round < 50; round++) {
    if (tryCreate(path, me)) return held(root, path, me, tookOverFrom);
    const seen = readLock(path);
    if (seen === 'gone') continue;
    if (seen === 'young') {
      await pause(20);
      continue;
    }
    if (seen.holder && !isStale(seen.holder, seen.mtimeMs, root))
      throw new DataDirLockedError(root, seen.holder);
    if (await takeOver(path, seen.raw)) tookOverFrom = seen.holder;
  }
  throw new DataDirLockedError(root, null);
}

/** Which directory a running process holds, as the lock file says (for `firebreak doctor`). */
export function readLockHolder(dir: string): { holder: LockHolder; stale: boolean } | null {
  const seen = readLock(join(resolve(dir), LOCK_FILE));
  if (seen === 'gone' || seen === 'young' || !seen.holder) return null;
  return { holder: seen.holder, stale: isStale(seen.holder, seen.mtimeMs, resolve(dir)) };
}

function tryCreate(path: string, me: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

type Seen = 'gone' | 'young' | { raw: string; holder: LockHolder | null; mtimeMs: number };

function readLock(path: string): Seen {
  let raw: string;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  const holder = parseHolder(raw);
  // Created by another opener a moment ago and not written yet: wait rather than call it stale.
  if (!holder && Date.now() - mtimeMs < YOUNG_MS) return 'young';
  return { raw, holder, mtimeMs };
}

function parseHolder(raw: string): LockHolder | null {
  try {
    const v = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.startedAt === 'string') {
      return { pid: v.pid, host: v.host, startedAt: v.startedAt, command: String(v.command ?? 'unknown') };
    }
  } catch {}
  return null;
}

function isStale(h: LockHolder, mtimeMs: number, root: string): boolean {
  if (h.host !== hostname()) return Date.now() - mtimeMs > OTHER_HOST_STALE_MS;
  // Our own pid: ours if this process holds the directory, else left by an earlier life of the pid.
  if (h.pid === process.pid) return !heldHere.has(root);
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user, so it is alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const started = startTimeOf(h.pid);
  return started !== null && Math.abs(started - Date.parse(h.startedAt)) > 5_000;
}

/** Removes the stale lock whose content was `raw`, unless someone replaced it meanwhile. */
async function takeOver(path: string, raw: string): Promise<boolean> {
  const mutex = `${path}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) rmdirSync(mutex);
    } catch {}
    await pause(20);
    return false;
  }
  try {
    let now: string | null = null;
    try {
      now = readFileSync(path, 'utf8');
    } catch {}
    if (now !== raw) return false;
    unlinkSync(path);
    return true;
  } finally {
    rmdirSync(mutex);
  }
}

function held(root: string, path: string, me: LockHolder, tookOverFrom: LockHolder | null): DataDirLock {
  heldHere.set(root, me);
  const mine = `${JSON.stringify(me)}\n`;
  const refresh = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {}
  }, REFRESH_MS);
  refresh.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    process.off('exit', release);
    heldHere.delete(root);
    try {
      // Only our own lock: one taken over from us (we looked dead) belongs to its new holder.
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {}
  };
  // process.exit() and an uncaught error end the process without close(): the lock goes with it.
  process.on('exit', release);
  return { path, holder: me, tookOverFrom, release };
}

function processStart(): string {
  return new Date(Date.now() - process.uptime() * 1000).toISOString();
}

/**
 * When a pid started, in ms since the epoch (Linux: /proc; elsewhere null, and a live pid counts as the
 * holder). starttime is in clock ticks after boot; USER_HZ is 100 on every Linux architecture.
 */
function startTimeOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return null;
    return btime * 1000 + (ticks / 100) * 1000;
  } catch {
    return null;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
