// A PersistentVolumeClaim is almost full. First clean up (run the namespace's own log-cleanup CronJob
// now); if usage is still above the threshold afterwards, grow the volume (with approval).
//
// Revert semantics, honestly: neither step can be undone. Deleted files do not come back, and
// Kubernetes never shrinks a PersistentVolumeClaim. So the reverts stop what can still be stopped (a
// cleanup Job still running) and record, as evidence on the incident, what stays changed: the run ends
// `compensated` with the expansion in place, and the postmortem says so.
import { runbook, z } from 'firebreak';
import { kubernetes } from './lib/kubernetes.ts';
import { prometheus, q } from './lib/prometheus.ts';
import { gibQuantity, quantityBytes } from './lib/quantity.ts';

const input = z.object({
  namespace: z.string().min(1),
  pvc: z.string().min(1),
  /** Used share of the volume above which it counts as almost full. */
  threshold: z.number().min(0).max(1).default(0.85),
  /** A CronJob in the namespace whose job template deletes old logs and dumps. */
  cleanupCronJob: z.string().min(1).default('log-cleanup'),
  /** Growth factor of one expansion. */
  growBy: z.number().min(1.1).max(4).default(1.5),
  /** Never ask for more than this. */
  maxSize: z.string().default('2Ti'),
});

type Input = z.output<typeof input>;

const usageQuery = (i: Input) => {
  const sel = `namespace=${q(i.namespace)},persistentvolumeclaim=${q(i.pvc)}`;
  return `max(kubelet_volume_stats_used_bytes{${sel}} / kubelet_volume_stats_capacity_bytes{${sel}})`;
};

interface Expansion {
  pvc: string;
  from: string;
  to: string;
}

/** The size to ask for: `growBy` times the current request, in whole GiB, at most `maxSize`. */
function targetSize(i: Input, requested: string): string {
  return gibQuantity(Math.min(quantityBytes(requested) * i.growBy, quantityBytes(i.maxSize)));
}

const pct = (r: number | null | undefined) => (r == null ? 'no data' : `${(r * 100).toFixed(1)}%`);

export const diskAlmostFull = runbook({
  id: 'disk-almost-full',
  title: 'Volume almost full',
  description: 'Runs the log cleanup now; grows the PersistentVolumeClaim if that was not enough.',
  triggers: [{ alertname: 'KubePersistentVolumeFillingUp' }, { alertname: 'DiskAlmostFull' }],
  input,
  fromAlert: (alert) => ({
    namespace: alert.labels.namespace ?? '',
    pvc: alert.labels.persistentvolumeclaim ?? '',
  }),
  concurrency: { key: (i) => `${i.namespace}/${i.pvc}`, limit: 1 },
  gameDays: [
    {
      id: 'wednesday-drill',
      // Half an hour after the error-rate drill, so the drills of one morning do not overlap.
      cron: '30 10 * * 3',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      // Threshold 0: every step is exercised on the staging database's volume.
      input: { namespace: 'staging', pvc: 'data-postgres-0', threshold: 0 },
      targets: { mitigateWithin: '15m', maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ input: i, steps }) => {
    const before = steps.usage as { ratio: number | null } | undefined;
    const after = steps.usageAfterCleanup as { ratio: number | null } | undefined;
    const expansion = steps.expand as Expansion | undefined;
    return [
      {
        title: 'Disk usage',
        body: `${i.namespace}/${i.pvc} was ${pct(before?.ratio)} full (threshold ${pct(i.threshold)}); after the cleanup: ${pct(after?.ratio)}.`,
      },
      {
        title: 'Capacity change',
        body: expansion
          ? `The claim was expanded from ${expansion.from} to ${expansion.to}. This cannot be undone: shrinking means moving the data to a new, smaller volume.`
          : 'The volume was not expanded.',
      },
    ];
  },
})
  .diagnostic('usage', async ({ input: i, http, attach }) => {
    const ratio = await prometheus(http).scalar(usageQuery(i));
    attach({
      kind: 'json',
      title: `Usage of ${i.namespace}/${i.pvc}`,
      content: { ratio, query: usageQuery(i) },
    });
    return { ratio };
  })
  .diagnostic('volume', { needs: [] }, async ({ input: i, http }) => {
    const k8s = kubernetes(http);
    const pvc = await k8s.getPvc(i.namespace, i.pvc);
    const expandable = pvc.storageClass !== null && (await k8s.allowsExpansion(pvc.storageClass));
    return { ...pvc, expandable };
  })
  .mitigation('cleanup', {
    needs: ['usage'],
    when: ({ input: i, steps }) => steps.usage.ratio !== null && steps.usage.ratio > i.threshold,
    dryRun: ({ input: i }) => ({ wouldRun: `${i.namespace}/cronjob/${i.cleanupCronJob}` }),
    apply: async ({ input: i, http, idempotencyKey }) => ({
      job: await kubernetes(http).runCronJobNow(i.namespace, i.cleanupCronJob, idempotencyKey),
    }),
    // A failed cleanup is no reason to undo anything: the expansion below still looks at the usage.
    verify: {
      after: '10m',
      onFail: 'continue',
      check: async ({ input: i, http, applied }) =>
        (await kubernetes(http).getJob(i.namespace, applied.job)).succeeded > 0,
    },
    revert: async ({ input: i, http, applied, attach }) => {
      const k8s = kubernetes(http);
      const job = await k8s.getJob(i.namespace, applied.job);
      if (job.active > 0) await k8s.deleteJob(i.namespace, applied.job);
      attach({
        kind: 'markdown',
        title: `Cleanup ${applied.job} cannot be undone`,
        content: `${job.active > 0 ? 'The Job was still running and has been stopped. ' : ''}Files it deleted are gone; restore them from backup if they are needed.`,
      });
      return { stopped: job.active > 0 };
    },
  })
  .diagnostic('usageAfterCleanup', { needs: ['cleanup'] }, async ({ input: i, http }) => ({
    ratio: await prometheus(http).scalar(usageQuery(i)),
  }))
  .mitigation('expand', {
    needs: ['usageAfterCleanup', 'volume'],
    when: ({ input: i, steps }) =>
      steps.usageAfterCleanup.ratio !== null &&
      steps.usageAfterCleanup.ratio > i.threshold &&
      steps.volume.expandable &&
      quantityBytes(targetSize(i, steps.volume.requested)) > quantityBytes(steps.volume.requested),
    approval: { groups: ['sre-oncall', 'storage'], timeout: '30m', onTimeout: 'reject' },
    dryRun: ({ input: i, steps }) => ({
      wouldResize: `${i.namespace}/${i.pvc}`,
      from: steps.volume.requested,
      to: targetSize(i, steps.volume.requested),
    }),
    // The target comes from the committed diagnostic, not a fresh read: a retried apply asks for the
    // same size instead of growing the volume twice.
    apply: async ({ input: i, steps, http }): Promise<Expansion> => {
      const to = targetSize(i, steps.volume.requested);
      await kubernetes(http).resizePvc(i.namespace, i.pvc, to);
      return { pvc: i.pvc, from: steps.volume.requested, to };
    },
    verify: {
      after: '5m',
      check: async ({ input: i, http, applied }) => {
        const pvc = await kubernetes(http).getPvc(i.namespace, i.pvc);
        return pvc.capacity !== null && quantityBytes(pvc.capacity) >= quantityBytes(applied.to);
      },
    },
    revert: ({ applied, attach, log }) => {
      log('volume expansion cannot be reverted', { pvc: applied.pvc, size: applied.to });
      attach({
        kind: 'markdown',
        title: `Expansion of ${applied.pvc} is irreversible`,
        content: `Kubernetes cannot shrink a PersistentVolumeClaim: **${applied.pvc}** stays at ${applied.to} (was ${applied.from}). To give the space back, migrate the data to a new, smaller volume.`,
      });
      return { irreversible: true, size: applied.to };
    },
  })
  .notify('announce', {
    message: ({ input: i, steps, run }) => {
      const where = `${i.namespace}/${i.pvc}`;
      if (run.dryRun)
        return `${where} (dry run): ${pct(steps.usage.ratio)} full; see the run for what would change.`;
      if (steps.expand)
        return `${where}: expanded from ${steps.expand.from} to ${steps.expand.to} after cleanup.`;
      return `${where}: ${pct(steps.usageAfterCleanup.ratio)} full after cleanup; no expansion needed.`;
    },
  });
