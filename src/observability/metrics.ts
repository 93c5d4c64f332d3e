// The Prometheus metrics of one process, in a registry of their own (not prom-client's global one), so
// several servers in one process (tests, embedding) never share or double-register series. Engine
// metrics are fed by lifecycle events (engine-metrics.ts); database gauges are read at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Runs wait on approvals and timers: minutes to hours are normal, not outliers. */
const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600];
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const APPROVAL_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400];
/** A healthy loop answers within milliseconds; anything from a tenth of a second up is a stall. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface MetricsOptions {
  /** process_* and nodejs_* (default true; off for benchmarks that build many registries). */
  defaultMetrics?: boolean;
}

export class FirebreakMetrics {
  readonly registry = new Registry();

  readonly runs: Counter<'runbook' | 'status'>;
  readonly runDuration: Histogram<'runbook' | 'status'>;
  readonly stepDuration: Histogram<'runbook' | 'kind' | 'status'>;
  readonly stepFailures: Counter<'runbook' | 'kind'>;
  readonly stepRetries: Counter<'runbook' | 'kind'>;
  readonly leaseTakeovers: Counter;
  readonly approvalWait: Histogram<'outcome'>;
  readonly approvalsPending: Gauge;
  readonly deadLetters: Gauge;
  readonly activeIncidents: Gauge;
  readonly dbUp: Gauge;
  readonly slackFailures: Counter<'reason'>;
  readonly writebackDeliveries: Counter<'service' | 'outcome'>;
  readonly activeRuns: Gauge;
  readonly eventLoopLag: Histogram;
  readonly webhookRequests: Counter<'source' | 'outcome'>;
  readonly prunedRows: Counter<'table'>;
  readonly prunePasses: Counter<'outcome'>;
  readonly pruneLastSuccess: Gauge;
  readonly pruneLastDuration: Gauge;
  readonly oldestHistory: Gauge;
  readonly httpCircuitState: Gauge<'host'>;
  readonly httpCircuitRejections: Counter<'host'>;
  readonly budgetUsed: Gauge<'runbook' | 'mitigation'>;
  readonly budgetMax: Gauge<'runbook' | 'mitigation'>;
  readonly budgetChecks: Counter<'runbook' | 'mitigation' | 'outcome'>;

  constructor(opts: MetricsOptions = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.runs = new Counter({
      name: 'firebreak_runs_total',
      help: 'Runs that reached a final state in this process, by runbook and final status.',
      labelNames: ['runbook', 'status'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'firebreak_run_duration_seconds',
      help: 'End-to-end run duration, from creation to final state (parks and other workers included).',
      labelNames: ['runbook', 'status'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'firebreak_step_duration_seconds',
      help: "Step duration, from the step's first attempt to its final state (retries included).",
      labelNames: ['runbook', 'kind', 'status'],
      buckets: STEP_BUCKETS,
      registers,
    });
    this.stepFailures = new Counter({
      name: 'firebreak_step_failures_total',
      help: 'Steps that failed for good (retries used up or not retryable).',
      labelNames: ['runbook', 'kind'],
      registers,
    });
    this.stepRetries = new Counter({
      name: 'firebreak_step_retries_total',
      help: 'Failed step attempts that will be tried again.',
      labelNames: ['runbook', 'kind'],
      registers,
    });
    this.leaseTakeovers = new Counter({
      name: 'firebreak_lease_takeovers_total',
      help: "Runs this process claimed after another worker's lease expired.",
      registers,
    });
    this.approvalWait = new Histogram({
      name: 'firebreak_approval_wait_seconds',
      help: 'Time from an approval request to its decision, for decisions made through this process.',
      labelNames: ['outcome'],
      buckets: APPROVAL_BUCKETS,
      registers,
    });
    this.approvalsPending = new Gauge({
      name: 'firebreak_approvals_pending',
      help: 'Approvals waiting for a decision (database-wide, read at scrape time).',
      registers,
    });
    this.deadLetters = new Gauge({
      name: 'firebreak_dead_letters',
      help: 'Webhook deliveries that could not be ingested and were not replayed (database-wide).',
      registers,
    });
    this.activeIncidents = new Gauge({
      name: 'firebreak_incidents_active',
      help: 'Firing incidents, drills excluded (database-wide, read at scrape time).',
      registers,
    });
    this.dbUp = new Gauge({
      name: 'firebreak_db_up',
      help: 'Whether the scrape-time database queries succeeded (1) or not (0).',
      registers,
    });
    this.slackFailures = new Counter({
      name: 'firebreak_slack_delivery_failures_total',
      help: 'Slack deliveries that failed: attempt_failed (retried), rate_limited, abandoned (given up).',
      labelNames: ['reason'],
      registers,
    });
    this.writebackDeliveries = new Counter({
      name: 'firebreak_writeback_deliveries_total',
      help: 'PagerDuty and Grafana write-back calls: delivered, attempt_failed (retried), rate_limited, abandoned (given up).',
      labelNames: ['service', 'outcome'],
      registers,
    });
    this.activeRuns = new Gauge({
      name: 'firebreak_engine_active_runs',
      help: 'Runs executing in this process now.',
      registers,
    });
    this.webhookRequests = new Counter({
      name: 'firebreak_webhook_requests_total',
      help: 'Webhook deliveries by source and outcome: accepted, duplicate, dead_letter, or why refused.',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.eventLoopLag = new Histogram({
      name: 'firebreak_event_loop_lag_seconds',
      help: 'How late a 100 ms timer fired: the time the event loop was blocked (sampled every 100 ms).',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.prunedRows = new Counter({
      name: 'firebreak_pruned_rows_total',
      help: 'Rows deleted by retention in this process, by table.',
      labelNames: ['table'],
      registers,
    });
    this.prunePasses = new Counter({
      name: 'firebreak_prune_passes_total',
      help: 'Retention passes run by this process: pruned (done) or failed (tried again next interval).',
      labelNames: ['outcome'],
      registers,
    });
    this.pruneLastSuccess = new Gauge({
      name: 'firebreak_prune_last_success_timestamp_seconds',
      help: 'When a retention pass of this process last finished (0: none yet).',
      registers,
    });
    this.pruneLastDuration = new Gauge({
      name: 'firebreak_prune_last_duration_seconds',
      help: 'How long the last retention pass of this process took.',
      registers,
    });
    this.oldestHistory = new Gauge({
      name: 'firebreak_oldest_run_history_age_seconds',
      help:
        'Age of the oldest finished run whose history (steps, journal) is still stored, database-wide: ' +
        'stays below FIREBREAK_RETENTION plus an interval while pruning keeps up.',
      registers,
    });
    this.httpCircuitState = new Gauge({
      name: 'firebreak_http_circuit_state',
      help: "State of the circuit breaker of each host steps' ctx.http called: 0 closed, 1 open, 2 half-open.",
      labelNames: ['host'],
      registers,
    });
    this.httpCircuitRejections = new Counter({
      name: 'firebreak_http_circuit_rejections_total',
      help: 'Requests of ctx.http refused without being sent because their host circuit was open.',
      labelNames: ['host'],
      registers,
    });
    this.budgetUsed = new Gauge({
      name: 'firebreak_mitigation_budget_used',
      help:
        "Applies counted in the current window of each mitigation budget, for the budget's fullest scope " +
        '(database-wide, read at scrape time; scope values are not labels).',
      labelNames: ['runbook', 'mitigation'],
      registers,
    });
    this.budgetMax = new Gauge({
      name: 'firebreak_mitigation_budget_max',
      help: 'Applies a mitigation budget allows per window (per scope), from the loaded runbooks.',
      labelNames: ['runbook', 'mitigation'],
      registers,
    });
    this.budgetChecks = new Counter({
      name: 'firebreak_mitigation_budget_checks_total',
      help:
        'Budgeted applies that asked for room in this process: counted, overridden (let through over ' +
        'the budget by an approver) or exceeded (held at a gate, or failed).',
      labelNames: ['runbook', 'mitigation', 'outcome'],
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
