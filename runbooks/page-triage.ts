// A high-urgency page from PagerDuty: measure what the responder will ask first (the service's 5xx ratio
// and p99 latency) and write it into the page as a note, where the responder looks before anything else.
// firebreak's own write-back has already acknowledged the page and will note each mitigation and the
// run's end (PAGERDUTY_API_TOKEN); this runbook adds the findings, through `pagerDuty(ctx, …)` from
// `firebreak/integrations`.
import { NonRetryableError, runbook, z } from 'firebreak';
import { pagerDuty } from 'firebreak/integrations';
import { endpoints } from './lib/endpoints.ts';
import { prometheus, q } from './lib/prometheus.ts';

const input = z.object({
  /** The PagerDuty incident id (its webhook's `data.id`). */
  page: z.string().min(1),
  service: z.string().min(1),
  /** Request counter and latency histogram with a `service` label. */
  requestsMetric: z.string().default('http_requests_total'),
  latencyMetric: z.string().default('http_request_duration_seconds_bucket'),
});

type Input = z.output<typeof input>;

const percent = (r: number | null) => (r === null ? 'no data' : `${(r * 100).toFixed(1)}%`);
const millis = (s: number | null) => (s === null ? 'no data' : `${Math.round(s * 1000)} ms`);

/** The note, built from committed step outputs only: a retried step writes the very same text. */
function findingsNote(i: Input, ratio: number | null, p99: number | null): string {
  return `firebreak findings for ${i.service}: 5xx ratio ${percent(ratio)} over 5m, p99 latency ${millis(p99)}.`;
}

export const pageTriage = runbook({
  id: 'page-triage',
  title: 'Findings into the PagerDuty page',
  description: 'Measures the paged service and writes the numbers into the PagerDuty incident as a note.',
  triggers: [{ urgency: 'high', service_id: /.+/ }],
  // The page it writes into is named by the alert: only PagerDuty's own webhook may name one (any other
  // sender could make it write into any page of the account).
  sources: ['pagerduty'],
  input,
  fromAlert: (alert) => ({
    page: alert.annotations.incident_id ?? '',
    service: alert.labels.service ?? '',
  }),
  concurrency: { key: (i) => i.page, limit: 1 },
  // A page's service and its numbers: nothing to rehearse beyond the queries, so a dry run.
  gameDays: [
    {
      id: 'monday-drill',
      cron: '0 10 * * 1',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      input: { page: 'PDRILL1', service: 'checkout' },
      targets: { maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ steps }) => {
    const note = steps.noteFindings as { content?: string } | undefined;
    return note?.content ? [{ title: 'What the page was told', body: note.content }] : [];
  },
})
  .diagnostic('errorRatio', async ({ input: i, http }) => {
    const sel = `service=${q(i.service)}`;
    const promql = `sum(rate(${i.requestsMetric}{${sel},code=~"5.."}[5m])) / sum(rate(${i.requestsMetric}{${sel}}[5m]))`;
    return { ratio: await prometheus(http).scalar(promql) };
  })
  .diagnostic('p99', { needs: [] }, async ({ input: i, http }) => {
    const promql = `histogram_quantile(0.99, sum by (le) (rate(${i.latencyMetric}{service=${q(i.service)}}[5m])))`;
    return { seconds: await prometheus(http).scalar(promql) };
  })
  // Writes a note, so not quite read-only: a dry run (a drill) says what it would write instead. A retried
  // attempt whose first try landed finds its note among the page's and does not write it again.
  .diagnostic('noteFindings', { needs: ['errorRatio', 'p99'] }, async (ctx) => {
    const { input: i, steps, run } = ctx;
    const content = findingsNote(i, steps.errorRatio.ratio, steps.p99.seconds);
    if (run.dryRun) return { content, noteId: null, dryRun: true };
    const { url, from } = endpoints().pagerduty;
    if (!from) throw new NonRetryableError('PAGERDUTY_FROM_EMAIL is not set: PagerDuty needs it for a note');
    const pd = pagerDuty(ctx, { from, apiUrl: url });
    const landed = (await pd.listNotes(i.page)).find((n) => n.content === content);
    const note = landed ?? (await pd.addNote(i.page, content));
    return { content, noteId: note.id, dryRun: false };
  });
