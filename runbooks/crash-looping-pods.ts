// Pods of a Deployment are crash-looping. Collect the crashed containers' logs as evidence, restart the
// crashing pods (delete them; their ReplicaSet starts fresh ones), and if they still crash, roll the
// Deployment back to its previous revision (with approval).
import { runbook, z } from 'firebreak';
import { flags } from './lib/flags.ts';
import { kubernetes, type PodSummary } from './lib/kubernetes.ts';
import { type RevisionSummary, rolloutState, rollTo } from './lib/rollout.ts';

const input = z.object({
  namespace: z.string().min(1),
  deployment: z.string().min(1),
  /** Pod labels of the Deployment; default app=<deployment>. */
  selector: z.record(z.string(), z.string()).optional(),
  /** A pod restarted this often (or in CrashLoopBackOff) counts as crashing. */
  restartThreshold: z.number().int().min(1).default(3),
  /** Logs are collected from at most this many pods. */
  maxPods: z.number().int().min(1).max(50).default(10),
});

type Input = z.output<typeof input>;

const labelsOf = (i: Input) => i.selector ?? { app: i.deployment };

const isCrashing = (i: Input) => (p: PodSummary) =>
  p.reason === 'CrashLoopBackOff' || p.restarts >= i.restartThreshold;

async function crashingPods(i: Input, http: Parameters<typeof kubernetes>[0]) {
  const all = await kubernetes(http).listPods(i.namespace, labelsOf(i));
  return { total: all.length, crashing: all.filter(isCrashing(i)) };
}

const podTable = (title: string, pods: readonly PodSummary[]) => ({
  kind: 'table' as const,
  title,
  content: {
    columns: ['pod', 'node', 'restarts', 'reason', 'last exit code'],
    rows: pods.map((p) => [p.name, p.node ?? '-', p.restarts, p.reason ?? '-', p.lastExitCode ?? '-']),
  },
});

/** "checkout-7d9f8b6c4-x2x9z" → "checkout": a Deployment's pod is named <deployment>-<rs hash>-<id>. */
function deploymentOfPod(pod: string): string {
  return pod.split('-').slice(0, -2).join('-');
}

interface Rollback {
  deployment: string;
  from: RevisionSummary;
  to: RevisionSummary;
}

export const crashLoopingPods = runbook({
  id: 'crash-looping-pods',
  title: 'Pods crash-looping',
  description: 'Collects crash logs, restarts the crashing pods, and rolls back if they keep crashing.',
  triggers: [{ alertname: 'KubePodCrashLooping' }],
  input,
  fromAlert: (alert) => ({
    namespace: alert.labels.namespace ?? '',
    deployment: alert.labels.deployment ?? deploymentOfPod(alert.labels.pod ?? ''),
  }),
  concurrency: { key: (i) => `${i.namespace}/${i.deployment}`, limit: 1 },
  gameDays: [
    {
      id: 'wednesday-drill',
      cron: '0 11 * * 3',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      input: { namespace: 'staging', deployment: 'checkout', restartThreshold: 1 },
      // The staging checkout exits at start-up while this flag is set (for 15 minutes).
      inject: ({ http, runId }) =>
        flags(http).set('chaos.crash-on-start.checkout', {
          value: true,
          reason: `game day drill (run ${runId})`,
          idempotencyKey: `gameday:${runId}`,
          ttlSeconds: 15 * 60,
        }),
      detect: { labels: { alertname: 'KubePodCrashLooping', namespace: 'staging' }, within: '15m' },
      targets: { detectWithin: '10m', mitigateWithin: '20m', maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ input: i, steps }) => {
    const pods = steps.pods as { total: number; crashing: PodSummary[] } | undefined;
    const after = steps.afterRestart as { crashing: PodSummary[] } | undefined;
    const rollback = steps.rollback as Rollback | undefined;
    const lines = [
      `${pods?.crashing.length ?? '?'} of ${pods?.total ?? '?'} pods of ${i.namespace}/${i.deployment} were crash-looping.`,
      after ? `After the restart ${after.crashing.length} still crashed.` : 'The pods were not restarted.',
      rollback
        ? `Rolled back from revision ${rollback.from.revision} (${rollback.from.images.join(', ')}) to ${rollback.to.revision} (${rollback.to.images.join(', ')}).`
        : 'No rollback stayed applied.',
    ];
    return [{ title: 'Crash loop', body: lines.join('\n\n') }];
  },
})
  .diagnostic('pods', async ({ input: i, http, attach }) => {
    const found = await crashingPods(i, http);
    attach(podTable(`Crashing pods of ${i.namespace}/${i.deployment}`, found.crashing));
    return found;
  })
  .forEach('logs', {
    needs: ['pods'],
    concurrency: 3,
    items: ({ input: i, steps }) => steps.pods.crashing.slice(0, i.maxPods).map((p) => p.name),
    run: async ({ input: i, http, item, attach }) => {
      const text = await kubernetes(http).podLog(i.namespace, item, { previous: true, tailLines: 100 });
      attach({ kind: 'text', title: `Log of ${item} before its last crash`, content: text });
      return { pod: item, lines: text.split('\n').filter(Boolean).length };
    },
  })
  .mitigation('restart', {
    needs: ['pods', 'logs'],
    when: ({ steps }) => steps.pods.crashing.length > 0,
    dryRun: ({ steps }) => ({ wouldDelete: steps.pods.crashing.map((p) => p.name) }),
    apply: async ({ input: i, steps, http }) => {
      const k8s = kubernetes(http);
      const names = steps.pods.crashing.map((p) => p.name);
      for (const name of names) await k8s.deletePod(i.namespace, name);
      return { deleted: names };
    },
    // Still crashing after a restart is what the rollback below is for, not a reason to undo.
    verify: {
      after: '3m',
      onFail: 'continue',
      check: async ({ input: i, http }) => (await crashingPods(i, http)).crashing.length === 0,
    },
    // Nothing to undo: the deleted pods were replaced by their ReplicaSet; that was the restart.
    revert: ({ applied }) => ({ nothingToUndo: true, restarted: applied.deleted }),
  })
  .diagnostic('afterRestart', { needs: ['restart'] }, async ({ input: i, http, attach }) => {
    const found = await crashingPods(i, http);
    attach(
      podTable(`Pods of ${i.namespace}/${i.deployment} still crashing after the restart`, found.crashing),
    );
    return found;
  })
  .diagnostic('rollout', { needs: [] }, async ({ input: i, http, attach, now }) => {
    const { state, evidence } = await rolloutState(kubernetes(http), i.namespace, i.deployment, now());
    attach(evidence);
    return state;
  })
  .mitigation('rollback', {
    needs: ['afterRestart', 'rollout'],
    when: ({ steps }) => steps.afterRestart.crashing.length > 0 && steps.rollout.previous !== null,
    approval: { groups: ['sre-oncall'], timeout: '15m', onTimeout: 'reject' },
    dryRun: ({ input: i, steps }) => ({
      wouldRollBack: `${i.namespace}/${i.deployment}`,
      from: steps.rollout.current,
      to: steps.rollout.previous,
    }),
    apply: async ({ input: i, steps, http, idempotencyKey }): Promise<Rollback> => {
      const { current, previous } = steps.rollout;
      const to = await rollTo(
        kubernetes(http),
        i.namespace,
        i.deployment,
        previous!.revision,
        idempotencyKey,
      );
      return { deployment: i.deployment, from: current, to };
    },
    verify: {
      after: '5m',
      check: async ({ input: i, http }) => (await crashingPods(i, http)).crashing.length === 0,
    },
    // The previous revision crashes too: the cause is elsewhere (config, a dependency); roll forward.
    revert: async ({ input: i, http, applied, idempotencyKey }) =>
      rollTo(
        kubernetes(http),
        i.namespace,
        applied.deployment,
        applied.from.revision,
        `${idempotencyKey}:revert`,
      ),
  })
  .notify('announce', {
    message: ({ input: i, steps, run }) => {
      const where = `${i.namespace}/${i.deployment}`;
      if (run.dryRun)
        return `${where} (dry run): ${steps.pods.crashing.length} pods crash-looping; see the run for what would change.`;
      if (steps.rollback)
        return `${where}: pods kept crashing after a restart; rolled back to revision ${steps.rollback.to.revision}.`;
      if (steps.restart && steps.afterRestart.crashing.length === 0)
        return `${where}: restarted ${steps.restart.deleted.length} crash-looping pods; they run again.`;
      if (steps.restart)
        return `${where}: still crashing after a restart and no earlier revision to roll back to. Over to a human.`;
      return `${where}: no pod is crash-looping any more.`;
    },
  });
