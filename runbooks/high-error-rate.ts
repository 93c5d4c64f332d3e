// HighErrorRate: the 5xx ratio of a service is above its threshold. If a deploy went out recently, roll
// the Deployment back to the revision before it (with approval), check that the ratio drops, and roll
// forward again if it does not: then the deploy was not the cause and the newer version stays.
// An alert rule may opt in to a silence while that happens (annotation `firebreak_silence_for: 30m`):
// approved like the rollback, expired again by the saga if the rollback is refused or does not help.
import { runbook, z } from 'firebreak';
import { boundedDuration, silenceMitigation } from 'firebreak/integrations';
import { alertmanagerEndpoint, incidentUrl } from './lib/alertmanager.ts';
import { flags } from './lib/flags.ts';
import { kubernetes } from './lib/kubernetes.ts';
import { prometheus, q } from './lib/prometheus.ts';
import { type RevisionSummary, type RolloutState, rolloutState, rollTo } from './lib/rollout.ts';

const input = z.object({
  service: z.string().min(1),
  namespace: z.string().min(1).default('prod'),
  /** The Deployment serving the service; default: named like the service. */
  deployment: z.string().min(1).optional(),
  /** 5xx share of requests above which the service counts as failing. */
  threshold: z.number().min(0).max(1).default(0.05),
  /** Only a deploy younger than this is a rollback candidate. */
  recentDeployMinutes: z.number().int().positive().default(60),
  /** Request counter with `code`, `service` and `namespace` labels. */
  requestsMetric: z.string().default('http_requests_total'),
  /**
   * Silence the alert this long while the rollback is tried (from the rule's `firebreak_silence_for`
   * annotation; at most 24h). Unset: no silence.
   */
  silenceFor: z
    .string()
    .refine((d) => {
      try {
        return boundedDuration(d) > 0;
      } catch {
        return false;
      }
    }, 'must be a duration above 0 and at most 24h, e.g. 30m')
    .optional(),
  /** The alert's labels: the silence's matchers. */
  alertLabels: z.record(z.string(), z.string()).default({}),
});

type Input = z.output<typeof input>;

function errorRatioQuery(i: Input): string {
  const sel = `namespace=${q(i.namespace)},service=${q(i.service)}`;
  return `sum(rate(${i.requestsMetric}{${sel},code=~"5.."}[5m])) / sum(rate(${i.requestsMetric}{${sel}}[5m]))`;
}

const deploymentOf = (i: Input) => i.deployment ?? i.service;

/** A rollback is tried when the ratio is over the threshold and a recent deploy has a predecessor. */
const rollbackWanted = (i: Input, ratio: { ratio: number | null }, deploy: RolloutState) =>
  ratio.ratio !== null &&
  ratio.ratio > i.threshold &&
  deploy.previous !== null &&
  deploy.minutesAgo <= i.recentDeployMinutes;

interface Applied {
  deployment: string;
  from: RevisionSummary;
  to: RevisionSummary;
}

export const highErrorRate = runbook({
  id: 'high-error-rate',
  title: 'Elevated 5xx ratio after a deploy',
  description:
    'Rolls back a recent deploy when the 5xx ratio is above its threshold; rolls forward if that did not help.',
  triggers: [{ alertname: 'HighErrorRate', severity: /critical|page/ }],
  input,
  fromAlert: (alert) => ({
    service: alert.labels.service ?? alert.labels.job ?? '',
    namespace: alert.labels.namespace ?? 'prod',
    ...(alert.labels.deployment ? { deployment: alert.labels.deployment } : {}),
    ...(alert.annotations.firebreak_silence_for
      ? { silenceFor: alert.annotations.firebreak_silence_for }
      : {}),
    alertLabels: alert.labels,
  }),
  concurrency: { key: (i) => `${i.namespace}/${i.service}`, limit: 1 },
  gameDays: [
    {
      id: 'wednesday-drill',
      cron: '0 10 * * 3',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      // Staging, and every gate of the runbook exercised: any 5xx counts, any deploy this week is recent.
      input: { service: 'checkout', namespace: 'staging', threshold: 0, recentDeployMinutes: 7 * 24 * 60 },
      // The checkout service fails a fifth of its requests while this flag is set; it expires by itself,
      // so a dry-run drill (which rolls nothing back) leaves nothing behind.
      inject: ({ http, runId }) =>
        flags(http).set('chaos.http-error-ratio.checkout', {
          value: 0.2,
          reason: `game day drill (run ${runId})`,
          idempotencyKey: `gameday:${runId}`,
          ttlSeconds: 15 * 60,
        }),
      detect: {
        labels: { alertname: 'HighErrorRate', service: 'checkout', namespace: 'staging' },
        within: '10m',
      },
      targets: { detectWithin: '5m', mitigateWithin: '15m', maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ input: i, steps }) => {
    const ratio = steps.errorRatio as { ratio: number | null } | undefined;
    const deploy = steps.recentDeploy as RolloutState | undefined;
    const rollback = steps.rollback as Applied | undefined;
    return [
      {
        title: 'Rollback decision',
        body: [
          `5xx ratio of ${i.namespace}/${i.service}: ${fmt(ratio?.ratio)} (threshold ${fmt(i.threshold)}).`,
          deploy
            ? `Revision ${deploy.current.revision} (${deploy.current.images.join(', ')}) was deployed ${deploy.minutesAgo} min before.`
            : 'The rollout history could not be read.',
          rollback
            ? `Rolled back ${rollback.deployment} from revision ${rollback.from.revision} to ${rollback.to.revision} (${rollback.to.images.join(', ')}).`
            : 'No rollback stayed applied: see the mitigations table for whether it was skipped, refused or reverted.',
        ].join('\n\n'),
      },
    ];
  },
})
  .diagnostic('errorRatio', async ({ input: i, http, attach }) => {
    const query = errorRatioQuery(i);
    const ratio = await prometheus(http).scalar(query);
    attach({ kind: 'json', title: `5xx ratio of ${i.namespace}/${i.service}`, content: { query, ratio } });
    return { ratio, query };
  })
  .diagnostic('recentDeploy', { needs: [] }, async ({ input: i, http, attach, now }) => {
    const { state, evidence } = await rolloutState(kubernetes(http), i.namespace, deploymentOf(i), now());
    attach(evidence);
    return state;
  })
  // Approved first: a "no" here stops the run before anything changed. Once applied, it is expired by
  // the saga like any mitigation when the rollback is refused, fails, or does not bring the ratio down.
  .mitigation(
    'silence',
    silenceMitigation({
      needs: ['errorRatio', 'recentDeploy'],
      when: ({ input: i, steps }) =>
        i.silenceFor !== undefined &&
        Object.keys(i.alertLabels).length > 0 &&
        rollbackWanted(i, steps.errorRatio, steps.recentDeploy),
      approval: {
        groups: ['sre-oncall'],
        timeout: '15m',
        onTimeout: 'reject',
        summary: ({ input: i }) =>
          `Silence HighErrorRate of ${i.namespace}/${i.service} for ${i.silenceFor} while the rollback is tried?`,
      },
      endpoint: alertmanagerEndpoint,
      labels: ({ input: i }) => i.alertLabels,
      duration: ({ input: i }) => i.silenceFor ?? '0s',
      incidentUrl: ({ run }) => incidentUrl(run),
      reason: 'silenced while firebreak rolls back a deploy',
    }),
  )
  .mitigation('rollback', {
    needs: ['errorRatio', 'recentDeploy', 'silence'],
    when: ({ input: i, steps }) => rollbackWanted(i, steps.errorRatio, steps.recentDeploy),
    approval: { groups: ['sre-oncall'], quorum: 1, timeout: '15m', onTimeout: 'reject' },
    // Three rollbacks in a namespace within an hour say the deploys are not the problem: a fourth
    // waits for sre-oncall to let it through (the same people, with the reason on the gate).
    budget: { max: 3, per: '1h', scope: (i) => i.namespace },
    dryRun: ({ input: i, steps }) => ({
      wouldRollBack: `${i.namespace}/${deploymentOf(i)}`,
      from: steps.recentDeploy.current,
      to: steps.recentDeploy.previous,
    }),
    apply: async ({ input: i, steps, http, idempotencyKey, attach }): Promise<Applied> => {
      const { current, previous } = steps.recentDeploy;
      const to = await rollTo(
        kubernetes(http),
        i.namespace,
        deploymentOf(i),
        previous!.revision,
        idempotencyKey,
      );
      attach({
        kind: 'markdown',
        title: `Rolled back ${deploymentOf(i)}`,
        content: `Revision ${current.revision} (\`${current.images.join(', ')}\`) → ${to.revision} (\`${to.images.join(', ')}\`)`,
      });
      return { deployment: deploymentOf(i), from: current, to };
    },
    verify: {
      after: '5m',
      check: async ({ input: i, http }) => {
        const ratio = await prometheus(http).scalar(errorRatioQuery(i));
        return ratio !== null && ratio <= i.threshold;
      },
    },
    // Roll forward: the rollback did not bring the ratio down, so the deploy was not the cause.
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
      const where = `${i.namespace}/${i.service}`;
      // A dry run's mitigation output is what it would have done, not an Applied.
      if (run.dryRun)
        return `${where} (dry run): 5xx ratio ${fmt(steps.errorRatio.ratio)}; see the run for what would roll back.`;
      if (steps.rollback)
        return `${where}: rolled back to revision ${steps.rollback.to.revision}; the 5xx ratio is at or below ${fmt(i.threshold)} again.`;
      return `${where}: 5xx ratio ${fmt(steps.errorRatio.ratio)}; no recent deploy to roll back. Over to a human.`;
    },
  });

function fmt(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? 'no data' : `${(ratio * 100).toFixed(1)}%`;
}
