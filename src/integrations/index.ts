// `firebreak/integrations`: clients for the tools a runbook acts on and reports to (Alertmanager,
// PagerDuty, Grafana, hosts over SSH). They ship in the package, not in the example runbooks' lib/,
// because firebreak's own edges use them too (a Slack button that silences an alert, the write-back
// that acknowledges the page a run is handling): one client, one set of tests, for both.

export {
  type AlertmanagerClient,
  type AlertmanagerEndpoint,
  AlertmanagerError,
  alertmanagerClient,
  type Matcher,
  type Silence,
} from './alertmanager/client.ts';
export {
  incidentUrlOf,
  type SilenceMitigationOptions,
  silenceComment,
  silenceMitigation,
} from './alertmanager/mitigation.ts';
export {
  type AppliedSilence,
  boundedDuration,
  createdByOf,
  DEFAULT_MAX_SILENCE,
  type ExpiredSilence,
  expireSilence,
  matchersOf,
  type SilenceRequest,
  silenceAlert,
} from './alertmanager/silence.ts';
export { ApiError, type Fetch, retryAfterMs } from './api-error.ts';
export {
  type Annotation,
  type FoundAnnotation,
  type GrafanaClient,
  type GrafanaOptions,
  grafanaClient,
} from './grafana/client.ts';
export { type GrafanaStepOptions, grafana } from './grafana/step.ts';
// Kubernetes: which API server and as whom (runbooks/lib and the Kubernetes watcher share it).
export * from './kubernetes/index.ts';
export {
  PAGERDUTY_API_URL,
  type PagerDutyClient,
  type PagerDutyNote,
  type PagerDutyOptions,
  pagerDutyClient,
} from './pagerduty/client.ts';
export { type PagerDutyStepOptions, pagerDuty } from './pagerduty/step.ts';
export {
  type PagerDutyWriteBackOutput,
  pagerDutyWriteBack,
  type ResolvePolicy,
} from './pagerduty/write-back.ts';
/** Commands on hosts over SSH (a step's `ctx.ssh` is this client, configured by SSH_*). */
export * from './ssh/index.ts';
export type { StepLike } from './step.ts';
