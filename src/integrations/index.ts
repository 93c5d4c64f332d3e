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
