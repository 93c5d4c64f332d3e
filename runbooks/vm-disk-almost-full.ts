// A file system on a VM is almost full (node_exporter's NodeFilesystemAlmostOutOfSpace). Look over SSH:
// `df` for the usage, `find` for the largest files under the log directory. Then, with approval,
// compress the rotated logs that were left uncompressed (`app.log.1`, `syslog-20260101`), which is
// where a full /var usually comes from.
//
// Reaching the host: `ctx.ssh` with SSH_USER and SSH_PRIVATE_KEY (or an agent), and only if the host's
// key is pinned in SSH_KNOWN_HOSTS. The host comes from the alert, so the pinned keys are the list of
// hosts this runbook may touch.
//
// Revert semantics, honestly: gzip loses nothing, and `gunzip` would undo it, but decompressing on a
// disk that is filling up would make things worse. So the revert changes nothing on the host and
// records, as evidence on the incident, which files stay compressed and the command that restores them.
import { runbook, z } from 'firebreak';
import {
  dfCommand,
  gzipCommand,
  isRotatedUncompressed,
  largestFilesCommand,
  parseDf,
  parseSizes,
  shellQuote,
} from './lib/host-disk.ts';

const input = z.object({
  /** The VM, as SSH reaches it: `host` or `host:port` (the port of SSH, not of node_exporter). */
  host: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, 'a host name or address'),
  mountpoint: z
    .string()
    .regex(/^\/[\w./-]*$/, 'an absolute path')
    .default('/'),
  /** Where the logs are; only files on the same file system are looked at. */
  logDir: z
    .string()
    .regex(/^\/[\w./-]*$/, 'an absolute path')
    .default('/var/log'),
  threshold: z.number().min(0).max(1).default(0.85),
  /** Files smaller than this are not listed. */
  minFileBytes: z
    .number()
    .int()
    .min(0)
    .default(1024 * 1024),
});

const pct = (r: number | undefined) => (r === undefined ? 'unknown' : `${(r * 100).toFixed(1)}%`);

export const vmDiskAlmostFull = runbook({
  id: 'vm-disk-almost-full',
  title: 'File system almost full on a VM',
  description: 'Finds the largest logs over SSH; compresses rotated ones with approval.',
  triggers: [{ alertname: 'NodeFilesystemAlmostOutOfSpace' }, { alertname: 'HostDiskAlmostFull' }],
  input,
  fromAlert: (alert) => ({
    // node_exporter's instance is host:9100: the host is what SSH needs, not the exporter's port.
    host: (alert.labels.instance ?? '').replace(/:\d+$/, ''),
    mountpoint: alert.labels.mountpoint ?? '/',
  }),
  concurrency: { key: (i) => i.host, limit: 1 },
  gameDays: [
    {
      id: 'wednesday-drill',
      // After the volume drill (10:30), so the drills of one morning do not overlap.
      cron: '0 11 * * 3',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      // Threshold 0: the staging VM counts as full, so the drill shows what would be compressed.
      input: { host: 'staging-vm-1.example.com', threshold: 0 },
      targets: { mitigateWithin: '15m', maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ input: i, steps }) => {
    const before = steps.usage as { ratio: number } | undefined;
    const after = steps.usageAfter as { ratio: number } | undefined;
    const compressed = steps.compressRotated as { compressed?: string[] } | undefined;
    return [
      {
        title: 'Disk usage',
        body: `${i.mountpoint} on ${i.host} was ${pct(before?.ratio)} full (threshold ${pct(i.threshold)}); afterwards ${pct(after?.ratio)}.`,
      },
      {
        title: 'Logs compressed',
        body: compressed?.compressed?.length
          ? `${compressed.compressed.length} rotated logs were compressed: ${compressed.compressed.join(', ')}.`
          : 'No logs were compressed.',
      },
    ];
  },
})
  .diagnostic('usage', async ({ input: i, ssh }) => {
    const r = await ssh(i.host, dfCommand(i.mountpoint), { timeout: '30s' });
    return parseDf(r.stdout);
  })
  .diagnostic('largestLogs', { needs: [] }, async ({ input: i, ssh }) => {
    const r = await ssh(i.host, largestFilesCommand(i.logDir, i.minFileBytes, 20), {
      timeout: '2m',
      evidence: `Largest files under ${i.logDir} on ${i.host}`,
    });
    const files = parseSizes(r.stdout, i.logDir);
    return { files, rotated: files.filter((f) => isRotatedUncompressed(f.path)) };
  })
  .mitigation('compressRotated', {
    needs: ['usage', 'largestLogs'],
    when: ({ input: i, steps }) => steps.usage.ratio > i.threshold && steps.largestLogs.rotated.length > 0,
    approval: {
      groups: ['sre-oncall'],
      timeout: '30m',
      onTimeout: 'reject',
      // The paths themselves: the approver sees exactly what will be compressed.
      summary: ({ input: i, steps }) =>
        `Compress ${steps.largestLogs.rotated.length} rotated logs on ${i.host} (${pct(steps.usage.ratio)} full)? ` +
        steps.largestLogs.rotated.map((f) => f.path).join(', '),
    },
    dryRun: ({ steps }) => ({ wouldCompress: steps.largestLogs.rotated.map((f) => f.path) }),
    // The files come from the committed diagnostic, and the command skips what is already compressed:
    // a retried apply compresses nothing twice.
    apply: async ({ input: i, steps, ssh }) => {
      const paths = steps.largestLogs.rotated.map((f) => f.path);
      const r = await ssh(i.host, gzipCommand(paths), { timeout: '10m' });
      return { host: i.host, files: paths, compressed: r.stdout.split('\n').filter(Boolean) };
    },
    // Not enough is no reason to undo anything: the notify says what is left.
    verify: {
      after: '1m',
      onFail: 'continue',
      check: async ({ input: i, ssh }) =>
        parseDf((await ssh(i.host, dfCommand(i.mountpoint))).stdout).ratio <= i.threshold,
    },
    revert: ({ applied, attach, log }) => {
      log('compressed logs are left compressed', { host: applied.host, files: applied.files.length });
      attach({
        kind: 'markdown',
        title: `Logs on ${applied.host} stay compressed`,
        content:
          'gzip lost nothing, but decompressing on a filling disk would make it worse, so nothing was undone. ' +
          `To restore them: \`gunzip -- ${applied.files.map((f) => shellQuote(`${f}.gz`)).join(' ')}\``,
      });
      return { kept: true };
    },
  })
  .diagnostic('usageAfter', { needs: ['compressRotated'] }, async ({ input: i, ssh }) => {
    const r = await ssh(i.host, dfCommand(i.mountpoint), { evidence: false });
    return parseDf(r.stdout);
  })
  .notify('announce', {
    message: ({ input: i, steps, run }) => {
      const where = `${i.mountpoint} on ${i.host}`;
      if (run.dryRun)
        return `${where} (dry run): ${pct(steps.usage.ratio)} full; see the run for what would change.`;
      if (steps.compressRotated) {
        return `${where}: ${steps.compressRotated.compressed.length} rotated logs compressed; now ${pct(steps.usageAfter.ratio)} full.`;
      }
      return `${where}: ${pct(steps.usageAfter.ratio)} full; nothing compressed.`;
    },
  });
