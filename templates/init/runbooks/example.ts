// An example runbook: an alert says a service is down. Check its health endpoint; if it really is down,
// ask a human before restarting it, then check that the restart helped. Replace the URLs and the
// trigger with your own systems'. Guide: node_modules/firebreak/docs/authoring.md
import { runbook, z } from 'firebreak';

export const serviceDown = runbook({
  id: 'service-down',
  title: 'Service reported down',
  // Which alerts start it, matched like Alertmanager matchers.
  triggers: [{ alertname: 'ServiceDown' }],
  input: z.object({
    service: z.string(),
    healthUrl: z.url().optional(),
    restartUrl: z.url().optional(),
  }),
  fromAlert: (alert) => ({
    service: alert.labels.service ?? 'unknown',
    healthUrl: alert.annotations.health_url,
    restartUrl: alert.annotations.restart_url,
  }),
})
  .diagnostic('health', async ({ input, http, attach }) => {
    if (!input.healthUrl) return { checked: false, healthy: null, status: null };
    const res = await http(input.healthUrl);
    attach({ kind: 'text', title: `GET ${input.healthUrl}`, content: `answered ${res.status}` });
    return { checked: true, healthy: res.ok, status: res.status };
  })
  .mitigation('restart', {
    // Only when the service really is down and we know how to restart it.
    when: ({ steps, input }) => steps.health.healthy === false && input.restartUrl !== undefined,
    approval: { groups: ['sre-oncall'], timeout: '15m', onTimeout: 'reject' },
    apply: async ({ input, http, idempotencyKey }) => {
      // The idempotency key is the same if this step runs again after a crash: pass it on.
      const res = await http(input.restartUrl!, {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey },
      });
      if (!res.ok) throw new Error(`restart of ${input.service} answered ${res.status}`);
      return { restarted: input.service };
    },
    // A restart cannot be undone; a mitigation that can (a rollback, a flag) reverts here.
    revert: async () => {},
    verify: {
      after: '1m',
      check: async ({ input, http }) => (await http(input.healthUrl!)).ok,
      onFail: 'revert',
    },
    dryRun: async ({ input }) => ({ wouldRestart: input.service }),
  });
