// First look at any paging alert: record what fired as evidence and tell the incident channel.
// It needs no external systems, so it works the moment firebreak receives its first alert.
import { runbook, z } from 'firebreak';

export const alertTriage = runbook({
  id: 'alert-triage',
  title: 'First look at a paging alert',
  triggers: [{ severity: /critical|page/ }],
  input: z.object({
    alertname: z.string(),
    service: z.string().default('unknown'),
    severity: z.string(),
    summary: z.string().default(''),
  }),
  fromAlert: (alert) => ({
    alertname: alert.labels.alertname ?? 'unnamed alert',
    service: alert.labels.service ?? alert.labels.job ?? 'unknown',
    severity: alert.labels.severity ?? 'unknown',
    summary: alert.annotations.summary ?? '',
  }),
})
  .diagnostic('context', async ({ input, attach }) => {
    attach({
      kind: 'markdown',
      title: `${input.alertname} on ${input.service}`,
      content: `**${input.alertname}** (${input.severity}) on \`${input.service}\`\n\n${input.summary}`,
    });
    return { alertname: input.alertname, service: input.service };
  })
  .notify('announce', {
    message: ({ steps, input }) =>
      `:rotating_light: ${steps.context.alertname} on ${steps.context.service}: ${input.summary}`,
  });
