// Reading a host's disk from the output of standard commands, for runbooks that run them with
// `ctx.ssh`: `df -P` (POSIX format: one line per file system, never wrapped) and a `find` listing of
// the largest files. Paths read from a host go back to it only shell-quoted, and only when they lie
// plainly inside the directory that was listed (parseSizes).
import { posix } from 'node:path';

export interface FileSystemUsage {
  filesystem: string;
  mountpoint: string;
  sizeKiB: number;
  usedKiB: number;
  availableKiB: number;
  /** used / (used + available), as df's Capacity column computes it (root's reserve excluded). */
  ratio: number;
}

/** The command that prints the usage of the file system holding `path`. */
export const dfCommand = (path: string) => `df -P -k -- ${shellQuote(path)}`;

export function parseDf(stdout: string): FileSystemUsage {
  const line = stdout.trim().split('\n')[1];
  const m = line ? /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+(\/.*)$/.exec(line.trim()) : null;
  if (!m) throw new Error(`unexpected df -P output: ${stdout.slice(0, 200)}`);
  const usedKiB = Number(m[3]);
  const availableKiB = Number(m[4]);
  return {
    filesystem: m[1]!,
    sizeKiB: Number(m[2]),
    usedKiB,
    availableKiB,
    ratio: usedKiB + availableKiB === 0 ? 0 : usedKiB / (usedKiB + availableKiB),
    mountpoint: m[5]!,
  };
}

export interface FileSize {
  path: string;
  bytes: number;
}

/**
 * The `limit` largest regular files of at least `minBytes` under `dir`, on its file system only (GNU
 * find). Unreadable subdirectories are skipped, not fatal: the listing is a diagnostic.
 */
export const largestFilesCommand = (dir: string, minBytes: number, limit: number) =>
  `find ${shellQuote(dir)} -xdev -type f -size +${Math.max(0, Math.floor(minBytes / 1024) - 1)}k ` +
  `-printf '%s\\t%p\\n' 2>/dev/null | sort -rn | head -n ${limit}`;

/**
 * The listing's files that lie under `dir`. A file name is the host's users' to choose, and `find` prints
 * it raw: a directory named "x<newline>9999<tab>/usr/lib/libc.so.6" makes a second line that reads like a
 * huge file outside `dir`. So a path counts only when it is absolute, normalized (no `.`/`..`, no double
 * slash), free of control characters, and inside `dir`; anything else is dropped, never acted on.
 */
export function parseSizes(stdout: string, dir: string): FileSize[] {
  const root = posix.normalize(dir).replace(/\/+$/, '');
  return stdout
    .split('\n')
    .map((l) => /^(\d+)\t(.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ bytes: Number(m[1]), path: m[2]! }))
    .filter(({ path }) => isPlainPathUnder(path, root));
}

function isPlainPathUnder(path: string, root: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return posix.isAbsolute(path) && posix.normalize(path) === path && path.startsWith(`${root}/`);
}

/** A log that was rotated and not compressed (`app.log.1`, `syslog.2`, `app.log-20260101`). */
export const isRotatedUncompressed = (path: string) => /(\.\d+|-\d{8})$/.test(path);

/**
 * gzip each file that still exists: run again, it skips what it compressed the first time. On the host,
 * a file is compressed only if it is still a regular file reached without any symbolic link (its
 * `realpath` is itself): a directory swapped for a link between the listing and the approval must not
 * lead gzip out of the log directory. (gzip itself refuses to compress a link.)
 */
export const gzipCommand = (paths: readonly string[]) =>
  `for f in ${paths.map(shellQuote).join(' ')}; do ` +
  `if [ -f "$f" ] && [ ! -L "$f" ] && [ "$(realpath -e -- "$f")" = "$f" ]; then gzip -- "$f" && echo "$f"; fi; done`;

/** One POSIX shell word holding `s` exactly. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
