// known_hosts as OpenSSH writes it: host[:port] names, patterns and negations, hashed names (made here by
// ssh-keygen -H itself), @revoked, and fingerprints as ssh-keygen -l prints them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkHostKey, fingerprint, parseKnownHosts } from '../../src/integrations/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'firebreak-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh ed25519 key: its `type base64` public part, its blob, and ssh-keygen's fingerprint of it. */
function key(name: string) {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)]);
  const pub = readFileSync(join(dir, `${name}.pub`), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  const printed = execFileSync('ssh-keygen', ['-l', '-f', join(dir, `${name}.pub`)], { encoding: 'utf8' });
  return { pub, blob: Buffer.from(pub.split(' ')[1]!, 'base64'), sha256: printed.split(' ')[1]! };
}

const hasKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // ssh-keygen -? prints usage and exits 1: present. ENOENT: absent.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

describe.skipIf(!hasKeygen)('known_hosts', () => {
  const web = key('web');
  const db = key('db');
  const other = key('other');

  test('plain names on port 22, [host]:port elsewhere; a key listed for one port is unknown on another', () => {
    const known = parseKnownHosts(
      `# pinned\nweb-1,10.0.0.5 ${web.pub}\n[db-1]:2222 ${db.pub} db-1 comment\n`,
    );
    expect(checkHostKey(known, 'web-1', 22, web.blob)).toEqual({ ok: true });
    expect(checkHostKey(known, '10.0.0.5', 22, web.blob)).toEqual({ ok: true });
    expect(checkHostKey(known, 'WEB-1', 22, web.blob)).toEqual({ ok: true }); // names are case-insensitive
    expect(checkHostKey(known, 'db-1', 2222, db.blob)).toEqual({ ok: true });
    expect(checkHostKey(known, 'db-1', 22, db.blob)).toEqual({ ok: false, reason: 'unknown' });
    expect(checkHostKey(known, 'web-1', 22, other.blob)).toEqual({ ok: false, reason: 'mismatch' });
    expect(checkHostKey(known, 'web-2', 22, web.blob)).toEqual({ ok: false, reason: 'unknown' });
  });

  test('wildcards and negations', () => {
    const known = parseKnownHosts(`*.prod.example.com,!bastion.prod.example.com ${web.pub}\n`);
    expect(checkHostKey(known, 'a.prod.example.com', 22, web.blob).ok).toBe(true);
    expect(checkHostKey(known, 'bastion.prod.example.com', 22, web.blob)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(checkHostKey(known, 'prodXexample.com', 22, web.blob).ok).toBe(false);
  });

  test('hashed names, as ssh-keygen -H writes them', () => {
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `[db-1.example.com]:2222 ${db.pub}\nweb-1 ${web.pub}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('db-1');
    const known = parseKnownHosts(text);
    expect(checkHostKey(known, 'db-1.example.com', 2222, db.blob)).toEqual({ ok: true });
    expect(checkHostKey(known, 'web-1', 22, web.blob)).toEqual({ ok: true });
    expect(checkHostKey(known, 'db-1.example.com', 22, db.blob)).toEqual({ ok: false, reason: 'unknown' });
  });

  test('@revoked refuses a key even where another line lists it', () => {
    const known = parseKnownHosts(`web-1 ${web.pub}\n@revoked * ${web.pub}\n`);
    expect(checkHostKey(known, 'web-1', 22, web.blob)).toEqual({ ok: false, reason: 'revoked' });
  });

  test('fingerprints are OpenSSH’s; lines that are not entries are refused with their number', () => {
    expect(fingerprint(web.blob)).toBe(web.sha256);
    expect(() => parseKnownHosts(`web-1 ${web.pub}\nweb-2 ssh-ed25519\n`)).toThrow(/known_hosts line 2/);
    expect(() => parseKnownHosts(`web-1 ssh-rsa ${web.pub.split(' ')[1]}\n`)).toThrow(/line 1/); // type ≠ blob
    expect(() => parseKnownHosts(`@cert-authority *.example.com ${web.pub}\n`)).toThrow(/not supported/);
  });
});
