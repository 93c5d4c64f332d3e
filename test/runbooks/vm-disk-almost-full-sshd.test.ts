// The example runbook against a real host: Debian's sshd on 127.0.0.1 (this machine as the "VM"), so
// its df, find and gzip commands meet real tools and a real file system, not stub routes.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testRunbook } from 'firebreak/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { vmDiskAlmostFull } from '../../runbooks/vm-disk-almost-full.ts';
import { defaultSshSettings, parseKnownHosts, type SshSettings } from '../../src/integrations/index.ts';
import { sshdMissing, startSshd, type TestSshd } from '../support/sshd.ts';

const missing = sshdMissing();
let sshd: TestSshd;
let logDir: string;

beforeAll(async () => {
  if (missing) return;
  sshd = await startSshd();
  logDir = join(sshd.dir, 'log');
  await mkdir(join(logDir, 'app'), { recursive: true });
  await writeFile(join(logDir, 'app', 'app.log'), Buffer.alloc(2 * 1024 * 1024, 'a'));
  await writeFile(join(logDir, 'app', 'app.log.1'), Buffer.alloc(3 * 1024 * 1024, 'b'));
  await writeFile(join(logDir, 'small.log'), 'tiny\n');
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
});

const hosts = (over: Partial<SshSettings> = {}): SshSettings => ({
  ...defaultSshSettings(),
  knownHosts: parseKnownHosts(sshd.knownHosts),
  user: sshd.user,
  privateKey: sshd.userKey,
  ...over,
});

describe.skipIf(missing)('vm-disk-almost-full on a real host (sshd)', () => {
  test('df and find run for real; after approval the rotated log is gzipped on the host', async () => {
    await using t = await testRunbook(vmDiskAlmostFull, {
      // Threshold 0: any usage counts as full, so the whole runbook runs.
      input: { host: `127.0.0.1:${sshd.port}`, mountpoint: logDir, logDir, threshold: 0 },
      ssh: { hosts: hosts() },
    });
    expect(await t.statuses()).toMatchObject({
      usage: 'succeeded',
      largestLogs: 'succeeded',
      compressRotated: 'awaiting_approval',
    });
    const usage = await t.output('usage');
    expect(usage?.sizeKiB).toBeGreaterThan(0);
    expect(usage?.ratio).toBeGreaterThan(0);
    expect(usage?.ratio).toBeLessThanOrEqual(1);
    const logs = await t.output('largestLogs');
    expect(logs?.files).toEqual([
      { bytes: 3 * 1024 * 1024, path: join(logDir, 'app', 'app.log.1') },
      { bytes: 2 * 1024 * 1024, path: join(logDir, 'app', 'app.log') },
    ]);
    expect(logs?.rotated.map((f) => f.path)).toEqual([join(logDir, 'app', 'app.log.1')]);
    const listing = (await t.evidence()).find((e) => e.title.startsWith(`Largest files under ${logDir}`));
    expect(listing?.content).toContain(`3145728\t${join(logDir, 'app', 'app.log.1')}`);
    expect(existsSync(join(logDir, 'app', 'app.log.1.gz'))).toBe(false);

    await t.approve('compressRotated');
    expect(existsSync(join(logDir, 'app', 'app.log.1.gz'))).toBe(true);
    expect(existsSync(join(logDir, 'app', 'app.log.1'))).toBe(false);
    expect(existsSync(join(logDir, 'app', 'app.log'))).toBe(true); // the live log is left alone
    const run = await t.advance('1m');
    expect(run.status).toBe('succeeded');
    expect(await t.output('compressRotated')).toMatchObject({
      compressed: [join(logDir, 'app', 'app.log.1')],
    });
  }, 60_000);

  test('a file name that forges a listing line cannot make it compress a file outside the log directory', async () => {
    // A user on the host makes a directory whose name holds a newline and a made-up listing line, so
    // `find` prints "<huge size>\t<victim>" as a line of its own: a "rotated log" outside logDir.
    const victimDir = join(sshd.dir, 'victim');
    await mkdir(victimDir, { recursive: true });
    const victim = join(victimDir, 'libc.so.6');
    await writeFile(victim, 'not a log\n');
    const forged = join(logDir, 'forge', `x\n99999999999999\t${victimDir}`);
    await mkdir(forged, { recursive: true });
    await writeFile(join(forged, 'libc.so.6'), Buffer.alloc(2 * 1024 * 1024, 'c'));
    // A real rotated log too, so that there is something to approve.
    await writeFile(join(logDir, 'app', 'app.log.2'), Buffer.alloc(3 * 1024 * 1024, 'd'));
    try {
      await using t = await testRunbook(vmDiskAlmostFull, {
        input: { host: `127.0.0.1:${sshd.port}`, mountpoint: logDir, logDir, threshold: 0 },
        ssh: { hosts: hosts() },
      });
      await t.approve('compressRotated');
      await t.advance('1m');
      const logs = await t.output('largestLogs');
      for (const f of logs?.files ?? []) expect(f.path.startsWith(`${logDir}/`)).toBe(true);
      expect(logs?.rotated.map((f) => f.path)).not.toContain(victim);
      expect(existsSync(victim)).toBe(true);
      expect(existsSync(`${victim}.gz`)).toBe(false);
      expect(existsSync(join(logDir, 'app', 'app.log.2.gz'))).toBe(true);
    } finally {
      await rm(join(logDir, 'forge'), { recursive: true, force: true });
      await rm(victimDir, { recursive: true, force: true });
    }
  }, 60_000);

  test('a host whose key is not pinned fails the run at once: not retried, fingerprint named', async () => {
    await using t = await testRunbook(vmDiskAlmostFull, {
      input: { host: `127.0.0.1:${sshd.port}`, mountpoint: logDir, logDir, threshold: 0 },
      ssh: { hosts: hosts({ knownHosts: parseKnownHosts(sshd.wrongKnownHosts) }) },
    });
    const run = await t.finish();
    expect(run.status).toBe('failed');
    // Both diagnostics connect at once: the first refusal fails the run, and the other step may be
    // cut short by it (`interrupted`) before its own refusal lands. Neither is tried twice.
    const steps = [await t.step('usage'), await t.step('largestLogs')];
    for (const s of steps) expect(s.attempt).toBe(1);
    const refused = steps.filter((s) => s.error?.code === 'ssh_host_key');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const s of refused) {
      expect(s.error).toMatchObject({ code: 'ssh_host_key', nonRetryable: true });
      expect(s.error?.message).toContain(sshd.hostFingerprint);
    }
  }, 60_000);
});
