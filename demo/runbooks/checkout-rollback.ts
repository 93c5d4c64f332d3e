// The demo's runbook: when checkout's 5xx ratio is high right after a deploy, roll back (with an approval
// in the web UI), check that the ratio dropped, and roll forward again if it did not.
import { NonRetryableError, runbook, z } from 'firebreak';

const input = z.object({
  service: z.string().default('checkout'),
  checkoutUrl: z.url(),
  threshold: z.number().default(0.05),
});

async function json<T>(
  http: (u: string, i?: RequestInit) => Promise<Response>,
  url: string,
  init?: RequestInit,
): Promise<T> {
  const res = await http(url, init);
  if (!res.ok) throw new NonRetryableError(`${init?.method ?? 'GET'} ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

interface Release {
  revision: number;
  image: string;
  deployedAt: string;
}

export const checkoutRollback = runbook({
  id: 'checkout-rollback',
  title: 'Checkout 5xx after a deploy: roll back',
  triggers: [{ alertname: 'HighErrorRate', service: 'checkout' }],
  input,
  fromAlert: (alert) => ({
    service: alert.labels.service ?? 'checkout',
    checkoutUrl: alert.annotations.checkout_url ?? '',
  }),
})
  .diagnostic('errorRatio', async ({ input: i, http, attach }) => {
    const body = await json<{ data: { result: { value: [number, string] }[] } }>(
      http,
      `${i.checkoutUrl}/api/v1/query?query=${encodeURIComponent('job:errors:ratio5m{service="checkout"}')}`,
    );
    const ratio = Number(body.data.result[0]?.value[1] ?? Number.NaN);
    attach({
      kind: 'table',
      title: 'Error ratio now',
      content: { columns: ['service', '5xx ratio'], rows: [[i.service, `${(ratio * 100).toFixed(1)}%`]] },
    });
    return { ratio };
  })
  .diagnostic('recentDeploy', { needs: [] }, async ({ input: i, http, attach, now }) => {
    const { current, previous } = await json<{ current: Release; previous: Release | null }>(
      http,
      `${i.checkoutUrl}/deploys`,
    );
    const minutesAgo = Math.round((now().getTime() - new Date(current.deployedAt).getTime()) / 60_000);
    attach({
      kind: 'markdown',
      title: 'Last deploy',
      content: `\`${current.image}\` (revision ${current.revision}), ${minutesAgo} min ago`,
    });
    return { current, previous, minutesAgo };
  })
  .mitigation('rollback', {
    needs: ['errorRatio', 'recentDeploy'],
    when: ({ input: i, steps }) =>
      steps.errorRatio.ratio > i.threshold &&
      steps.recentDeploy.previous !== null &&
      steps.recentDeploy.minutesAgo < 60,
    approval: { quorum: 1, timeout: '15m', onTimeout: 'reject' },
    dryRun: ({ steps }) => ({ wouldRollBackTo: steps.recentDeploy.previous }),
    apply: async ({ input: i, http }) => {
      const { current } = await json<{ current: Release }>(http, `${i.checkoutUrl}/deploys/rollback`, {
        method: 'POST',
      });
      return { now: current };
    },
    verify: {
      after: '3s',
      check: async ({ input: i, http }) => {
        const body = await json<{ data: { result: { value: [number, string] }[] } }>(
          http,
          `${i.checkoutUrl}/api/v1/query?query=ratio`,
        );
        return Number(body.data.result[0]?.value[1]) <= i.threshold;
      },
    },
    revert: async ({ input: i, http }) =>
      json(http, `${i.checkoutUrl}/deploys/roll-forward`, { method: 'POST' }),
  })
  .notify('announce', {
    message: ({ steps }) =>
      steps.rollback
        ? `checkout rolled back to ${steps.rollback.now.image}; 5xx ratio back under threshold`
        : 'no rollback needed',
  });
