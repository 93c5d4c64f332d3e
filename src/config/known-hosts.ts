// SSH_KNOWN_HOSTS parsed at start: pinned host keys in OpenSSH's known_hosts format (what `ssh-keyscan`
// prints and ~/.ssh/known_hosts holds). Matching a presented key against them is
// src/integrations/ssh/known-hosts.ts.
import { ValidationError } from '../core/errors.ts';

export interface KnownHost {
  /** Host patterns as written: `web-1`, `[web-1]:2222`, `*.example.com`, `!bad.example.com`, or hashed `|1|salt|hash`. */
  patterns: readonly string[];
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  keyType: string;
  /** The public key blob (SSH wire format), as the server presents it. */
  key: Buffer;
  /** `@revoked`: this key is refused for these hosts even if listed elsewhere. */
  revoked: boolean;
}

/** Parses known_hosts text; a line that is not an entry stops the start with its line number. */
export function parseKnownHosts(text: string): KnownHost[] {
  const out: KnownHost[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@revoked') revoked = true;
      else throw new ValidationError(`known_hosts line ${i + 1}: ${marker} is not supported (only @revoked)`);
    }
    const [hosts, keyType, base64] = fields;
    const key = base64 && /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : null;
    if (!hosts || !keyType || !key || blobType(key) !== keyType) {
      throw new ValidationError(`known_hosts line ${i + 1}: expected "host[,host…] key-type base64-key"`);
    }
    out.push({ patterns: hosts.split(','), keyType, key, revoked });
  }
  return out;
}

/** The key type inside a public key blob (its first length-prefixed string). */
export function blobType(key: Buffer): string | null {
  if (key.length < 4) return null;
  const len = key.readUInt32BE(0);
  return len > 0 && len < 64 && key.length >= 4 + len ? key.subarray(4, 4 + len).toString('latin1') : null;
}
