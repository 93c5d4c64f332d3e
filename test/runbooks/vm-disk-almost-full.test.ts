import { matchesTriggers, stubSsh, testRunbook } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { vmDiskAlmostFull } from '../../runbooks/vm-disk-almost-full.ts';

const alert = {
  labels: {
    alertname: 'NodeFilesystemAlmostOutOfSpace',
    severity: 'critical',
    instance: 'web-1.example.com:9100',
    mountpoint: '/var',
  },
};

/** df -P of a 20 GiB /var, `used` of it in use. */
const df = (used: number) => {
  const size = 20 * 1024 * 1024;
  const usedKiB = Math.round(size * used);
  return {
    stdout: `Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/vda2 ${size} ${usedKiB} ${size - usedKiB} ${Math.round(used * 100)}% /var\n`,
  };
};

const LISTING = [
  '3221225472\t/var/log/app/app.log.1',
  '2147483648\t/var/log/app/app.log',
  "1073741824\t/var/log/nginx/it's-access.log-20260101",
  '52428800\t/var/log/syslog.2.gz',
].join('\n');

/** A VM whose /var is 93% full until the rotated logs are compressed. */
function vm(after = 0.6) {
  const compressed = () => ssh.find('for f in *gzip*').length > 0;
  const ssh = stubSsh({
    'df -P -k -- *': () => df(compressed() ? after : 0.93),
    "find '/var/log' -xdev -type f *": { stdout: `${LISTING}\n` },
    'for f in *gzip*': {
      stdout: "/var/log/app/app.log.1\n/var/log/nginx/it's-access.log-20260101\n",
    },
  });
  return ssh;
}

const mutations = (ssh: ReturnType<typeof stubSsh>) => ssh.calls.filter((c) => c.command.includes('gzip'));

describe('vm-disk-almost-full runbook', () => {
  test('the alert routes here; the host is the instance without the exporter port', async () => {
    expect(matchesTriggers(vmDiskAlmostFull, alert.labels)).toBe(true);
    const ssh = vm();
    await using t = await testRunbook(vmDiskAlmostFull, { alert, ssh });
    expect(await t.output('usage')).toMatchObject({ mountpoint: '/var' });
    expect(ssh.calls[0]).toMatchObject({ host: 'web-1.example.com', port: 22 });
    expect(ssh.unmatched()).toEqual([]);
  });

  test('df and the largest logs first; the rotated ones are compressed after approval', async () => {
    const ssh = vm();
    await using t = await testRunbook(vmDiskAlmostFull, { alert, ssh, env: { SSH_USER: 'ops' } });
    expect(await t.statuses()).toMatchObject({
      usage: 'succeeded',
      largestLogs: 'succeeded',
      compressRotated: 'awaiting_approval',
    });
    expect(mutations(ssh)).toEqual([]); // nothing changed before the approval
    await expect(t.output('usage')).resolves.toMatchObject({
      mountpoint: '/var',
      ratio: expect.closeTo(0.93, 2),
    });
    const logs = await t.output('largestLogs');
    expect(logs?.rotated.map((f) => f.path)).toEqual([
      '/var/log/app/app.log.1',
      "/var/log/nginx/it's-access.log-20260101",
    ]);
    expect(t.messages.find((m) => m.kind === 'approval')?.message).toContain(
      'Compress 2 rotated logs on web-1.example.com (93.0% full)?',
    );

    await t.approve('compressRotated');
    const gzip = mutations(ssh);
    expect(gzip).toHaveLength(1);
    expect(gzip[0]).toMatchObject({ user: 'ops' });
    // Paths from the host go back to it quoted: the one with a quote in it stays one word.
    expect(gzip[0]!.command).toBe(
      `for f in '/var/log/app/app.log.1' '/var/log/nginx/it'\\''s-access.log-20260101'; do if [ -f "$f" ] && [ ! -L "$f" ] && [ "$(realpath -e -- "$f")" = "$f" ]; then gzip -- "$f" && echo "$f"; fi; done`,
    );
    const run = await t.advance('1m'); // past the verify delay
    expect(run.status).toBe('succeeded');
    expect(await t.output('usageAfter')).toMatchObject({ ratio: expect.closeTo(0.6, 2) });
    const titles = (await t.evidence()).map((e) => e.title);
    expect(titles).toContain('Largest files under /var/log on web-1.example.com');
    expect(titles).toContain(`ops@web-1.example.com:22: ${gzip[0]!.command}`);
    expect(t.messages.at(-1)?.message).toMatch(/2 rotated logs compressed; now 60\.0% full/);
    const { markdown } = await t.postmortem();
    expect(markdown).toContain('2 rotated logs were compressed');
  });

  test('a rejected gate compresses nothing', async () => {
    const ssh = vm();
    await using t = await testRunbook(vmDiskAlmostFull, {
      alert,
      ssh,
      approvals: { compressRotated: 'reject' },
    });
    const run = await t.finish();
    expect(run.status).not.toBe('succeeded');
    expect(mutations(ssh)).toEqual([]);
  });

  test('the saga keeps the logs compressed and says how to restore them', async () => {
    const ssh = vm();
    await using t = await testRunbook(vmDiskAlmostFull, { alert, ssh });
    await t.approve('compressRotated');
    await t.cancel();
    expect(await t.reverts()).toMatchObject([{ step: 'compressRotated', outcome: 'reverted' }]);
    expect(ssh.calls.filter((c) => c.command.includes('gunzip'))).toEqual([]);
    const note = (await t.evidence()).find((e) => e.title === 'Logs on web-1.example.com stay compressed');
    expect(note?.content).toContain(`gunzip -- '/var/log/app/app.log.1.gz'`);
  });

  test('a dry run only reads', async () => {
    const ssh = vm();
    await using t = await testRunbook(vmDiskAlmostFull, { alert, ssh, dryRun: true });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(mutations(ssh)).toEqual([]);
    expect(await t.output('compressRotated')).toMatchObject({
      dryRun: true,
      wouldApply: { wouldCompress: ['/var/log/app/app.log.1', "/var/log/nginx/it's-access.log-20260101"] },
    });
  });

  test('the game day rehearses it as a dry run on the staging VM', async () => {
    const ssh = vm();
    await using t = await testRunbook(vmDiskAlmostFull, { gameDay: 'wednesday-drill', ssh });
    const run = await t.finish();
    expect(run.status).toBe('succeeded');
    expect(ssh.calls.every((c) => c.host === 'staging-vm-1.example.com')).toBe(true);
    expect(mutations(ssh)).toEqual([]);
  });

  test('a failing df fails the step with its exit code and stderr; not retried', async () => {
    const ssh = stubSsh({
      'df -P -k -- *': { stderr: 'df: /var: No such file or directory\n', exitCode: 1 },
      'find *': { stdout: '' },
    });
    await using t = await testRunbook(vmDiskAlmostFull, { alert, ssh });
    const run = await t.finish();
    expect(run.status).toBe('failed');
    const usage = await t.step('usage');
    expect(usage?.attempt).toBe(1);
    expect(usage?.error?.message).toMatch(/ended with exit code 1: df: \/var: No such file or directory/);
  });
});
