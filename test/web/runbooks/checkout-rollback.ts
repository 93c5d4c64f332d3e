// Started by the Alertmanager fixture (alertname HighErrorRate): a diagnostic with evidence, a gate only an
// approver may decide, then the rollback it guards. The web tests approve (and reject) it from the UI.
import { runbook, z } from 'firebreak';

export const checkoutRollback = runbook({
  id: 'checkout-rollback',
  title: 'Roll back checkout',
  description: 'Looks at the error ratio, asks an approver, then rolls the last deploy back.',
  triggers: [{ alertname: 'HighErrorRate' }],
  input: z.object({ service: z.string(), summary: z.string().default('') }),
  fromAlert: ({ labels, annotations }) => ({
    service: labels.service ?? 'unknown',
    summary: annotations.summary ?? '',
  }),
  gameDays: [
    {
      id: 'wednesday-drill',
      cron: '0 10 * * 3',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      input: { service: 'checkout' },
    },
  ],
})
  .diagnostic('error-ratio', async ({ input, attach }) => {
    attach({
      kind: 'table',
      title: 'Error ratio by instance',
      content: {
        columns: ['instance', 'ratio'],
        rows: [
          ['api-1:8080', 0.12],
          ['api-2:8080', 0.09],
        ],
      },
    });
    attach({
      kind: 'markdown',
      title: 'What the alert says',
      content: `**${input.service}**: ${input.summary}`,
    });
    return { ratio: 0.12 };
  })
  .approval('approve-rollback', {
    roles: ['approver'],
    summary: 'Roll checkout back to the previous deploy? The error ratio is 12% since deploy abc123.',
  })
  .mitigation('rollback', {
    apply: async ({ input }) => ({ rolledBack: input.service, to: 'previous' }),
    revert: async () => ({ rolledForward: true }),
  });
