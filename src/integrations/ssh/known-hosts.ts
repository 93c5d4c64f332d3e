// Pinned host keys, in OpenSSH's known_hosts format (what `ssh-keyscan` prints and ~/.ssh/known_hosts
// holds), so the file an operator already keeps is the configuration. A host is reached only when the
// key it presents is listed for it: there is no "trust on first use", because a runbook at 3 a.m. has
// nobody to ask whether a new key is expected.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { blobType, type KnownHost, parseKnownHosts } from '../../config/known-hosts.ts';

// Parsed with the configuration (src/config/known-hosts.ts); matched here.
export { blobType, type KnownHost, parseKnownHosts };

/** The name known_hosts files a host under: `host` on port 22, `[host]:port` elsewhere. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` and unpadded base64, as `ssh-keygen -l` prints. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The entries that name this host (a negated pattern that matches excludes the entry, as in OpenSSH). */
export function entriesFor(known: readonly KnownHost[], host: string, port: number): KnownHost[] {
  const name = hostEntryName(host.toLowerCase(), port);
  return known.filter((e) => {
    let hit = false;
    for (const p of e.patterns) {
      if (p.startsWith('!')) {
        if (matches(p.slice(1), name)) return false;
      } else if (matches(p, name)) hit = true;
    }
    return hit;
  });
}

export type HostKeyVerdict = { ok: true } | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked' };

/** Whether `presented` is a key known_hosts lists for host:port (and not revoked). */
export function checkHostKey(
  known: readonly KnownHost[],
  host: string,
  port: number,
  presented: Buffer,
): HostKeyVerdict {
  const entries = entriesFor(known, host, port);
  if (entries.some((e) => e.revoked && sameKey(e.key, presented))) return { ok: false, reason: 'revoked' };
  const listed = entries.filter((e) => !e.revoked);
  if (listed.some((e) => sameKey(e.key, presented))) return { ok: true };
  return { ok: false, reason: listed.length === 0 ? 'unknown' : 'mismatch' };
}

/**
 * The host key algorithms to offer, from the key types pinned for the host: without this the server may
 * present, say, its ECDSA key while only its Ed25519 key is pinned, and a good host would be refused.
 */
export function hostKeyAlgorithms(entries: readonly KnownHost[]): string[] {
  const types = [...new Set(entries.filter((e) => !e.revoked).map((e) => e.keyType))];
  return types.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
}

function sameKey(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A known_hosts pattern: `*` and `?` wildcards, or a hashed name (`|1|base64 salt|base64 HMAC-SHA1`). */
function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  const re = pattern
    .replace(/[.+^${}()[\]\\|]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}
