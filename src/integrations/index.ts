// `firebreak/integrations`: clients for the tools a runbook acts on and reports to (Alertmanager,
// PagerDuty, Grafana, hosts over SSH). They ship in the package, not in the example runbooks' lib/,
// because firebreak's own edges use them too (a Slack button that silences an alert, the write-back
// that acknowledges the page a run is handling): one client, one set of tests, for both.

// Kubernetes: which API server and as whom (runbooks/lib and the Kubernetes watcher share it).
export * from './kubernetes/index.ts';
/** Commands on hosts over SSH (a step's `ctx.ssh` is this client, configured by SSH_*). */
export * from './ssh/index.ts';
