// Reading a host's disk from the output of standard commands, for runbooks that run them with
// `ctx.ssh`: `df -P` (POSIX format: one line per file system, never wrapped) and a `find` listing of
// the largest files. Paths read from a host go back to it only shell-quoted.

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

export function parseSizes(stdout: string): FileSize[] {
  return stdout
    .split('\n')
    .map((l) => /^(\d+)\t(.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ bytes: Number(m[1]), path: m[2]! }));
}

/** A log that was rotated and not compressed (`app.log.1`, `syslog.2`, `app.log-20260101`). */
export const isRotatedUncompressed = (path: string) => /(\.\d+|-\d{8})$/.test(path);

/** gzip each file that still exists: run again, it skips what it compressed the first time. */
export const gzipCommand = (paths: readonly string[]) =>
  `for f in ${paths.map(shellQuote).join(' ')}; do if [ -f "$f" ]; then gzip -- "$f" && echo "$f"; fi; done`;

/** One POSIX shell word holding `s` exactly. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
