// `firebreak serve`: the HTTP server and engine workers in one process.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Hono } from 'hono';
import { createApp } from './api/app.ts';
import { exposureProblem, exposureWarning } from './api/exposure.ts';
import { LOOPBACK_NOTE } from './api/operations.ts';
import { webhookAuth } from './api/webhooks.ts';
import { type Config, groupByOf, identitiesOf, kubernetesWatchOf } from './config/config.ts';
import type { Clock } from './core/clock.ts';
import { parseDuration } from './core/duration.ts';
import { ValidationError } from './core/errors.ts';
import type { Logger } from './core/logger.ts';
import { redactor } from './core/redact.ts';
import { retryTransient } from './db/transient.ts';
import type { AnyRunbook } from './dsl/runbook.ts';
import type { Notifier } from './engine/notifier.ts';
import { createFirebreak, type Firebreak, firebreakOptionsOf } from './firebreak.ts';
import { GameDayScheduler, type GameDaySchedulerOptions } from './gamedays/scheduler.ts';
import { Ingestor } from './ingest/ingest.ts';
import type { KubernetesWatcher } from './ingest/kubernetes/watcher.ts';
import { Router } from './ingest/route.ts';
import { alertmanagerSettings } from './integrations/alertmanager/settings.ts';
import { slackSettings } from './integrations/slack/settings.ts';
import type { SlackIntegration } from './integrations/slack/slack.ts';
import { writebackSettings } from './integrations/writeback/settings.ts';
import { startWriteBack, type WriteBack } from './integrations/writeback/writeback.ts';
import { type Observability, startObservability } from './observability/observability.ts';
import { pinoLogger } from './observability/pino-logger.ts';
import type { Opening } from './opening.ts';
import { describeRetention, type Pruner, startPruner } from './retention/pruner.ts';
import { Approvals } from './services/approvals/decide.ts';
import { Postmortems } from './services/postmortem/postmortems.ts';
import { databaseOf, incidentStoreOf, wakeupsOf } from './store/database.ts';

export interface Server {
  url: string;
  port: number;
  /** The HTTP server itself (its timeouts and connection cap are set from HTTP_LIMITS). */
  http: HttpServer;
  fb: Firebreak;
  approvals: Approvals;
  app: Hono;
  /** Null when Slack is not configured. */
  slack: SlackIntegration | null;
  /** PagerDuty and Grafana write-back; null when neither is configured. */
  writeBack: WriteBack | null;
  gamedays: GameDayScheduler;
  /** /metrics and, when configured, tracing. */
  observability: Observability;
  /** Retention; null when FIREBREAK_RETENTION is off. */
  pruner: Pruner | null;
  /** Kubernetes as an alert source; null unless FIREBREAK_KUBERNETES_WATCH (one replica watches). */
  kubernetes: KubernetesWatcher | null;
  /**
   * Shuts down: /readyz answers 503 at once, running steps get `graceMs` (default 5 s) to reach a commit
   * while requests are still answered, then leases are released and the HTTP server and database close.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /** Where the server's own JSON logger writes its (redacted) lines when no `logger` is given (default stderr). */
  logWrite?: (line: string) => void;
  notifier?: Notifier;
  /** Where start-up lines go (stdout by default). */
  print?: (line: string) => void;
  /** The engine's clock, which the game-day scheduler ticks with (tests pass a ManualClock). */
  clock?: Clock;
  /** Runbooks given as values, beside those of RUNBOOKS_DIR (tests, embedding). */
  runbooks?: readonly AnyRunbook[];
  gamedays?: GameDaySchedulerOptions;
  /** Turns tracing on with this exporter, whatever the configuration says (tests: an in-memory one). */
  spanExporter?: SpanExporter;
  /** Overrides of HTTP_LIMITS (tests shorten the header timeout to watch it work). */
  httpLimits?: Partial<typeof HTTP_LIMITS>;
  /** The database and runbooks, already being opened from the same configuration (`serve` begins it). */
  opening?: Opening;
}

/**
 * A client gets 10 s to send its headers and 30 s for the whole request (a slow-header client held a
 * socket for 75 s and more); both are checked every second. Responses (the UI's live streams) are not
 * limited by these.
 */
export const HTTP_LIMITS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, checkEveryMs: 1_000 };

export async function startServer(config: Config, opts: ServerOptions = {}): Promise<Server> {
  // Before anything opens: an unauthenticated server on the network is a decision, never a default.
  const exposure = exposureProblem(config);
  if (exposure) throw new ValidationError(`invalid configuration:\n  ${exposure}`, { issues: [] });
  const options = firebreakOptionsOf(config);
  const redact = redactor(options.secrets);
  const logger =
    opts.logger ??
    pinoLogger({
      level: config.LOG_LEVEL,
      redact: redact.text,
      ...(opts.logWrite ? { write: opts.logWrite } : {}),
    });
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const slackConfig = slackSettings(config);
  // Bolt loads only when Slack is on (see integrations/slack/settings.ts).
  const wiring = slackConfig
    ? (await import('./integrations/slack/slack.ts')).slackWiring(slackConfig, { logger, redact })
    : null;
  const fb = await createFirebreak({
    ...options,
    redactor: redact,
    logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    runbooks: [...options.runbooks, ...(opts.runbooks ?? [])],
    ...(opts.opening ? { opening: opts.opening } : {}),
    // With Slack configured, what the engine says goes to Slack (through its outbox).
    ...(wiring ? { notifier: wiring.notifier } : opts.notifier ? { notifier: opts.notifier } : {}),
  });
  const incidents = incidentStoreOf(fb.store);
  // Subscribed before the engine's first claim round trip returns: no run event goes unseen.
  const observability = startObservability({
    config,
    engine: fb.engine,
    driver: databaseOf(fb.store),
    incidents,
    logger,
    spanExporter: opts.spanExporter,
  });
  const ingestor = new Ingestor({
    driver: databaseOf(fb.store),
    router: new Router(fb.registry),
    clock: fb.engine.clock,
    flapMs: parseDuration(config.FLAP_WINDOW),
    redactor: redact,
    groupBy: groupByOf(config),
  });
  // A decision made here continues its run here when this process works runs (engine.decisionClaim).
  const approvals = new Approvals(fb.store, fb.engine.clock, identitiesOf(config), fb.engine);
  observability.watchApprovals(approvals);
  const slack = wiring
    ? await wiring.start({ fb, approvals, ingestor, alertmanager: alertmanagerSettings(config) })
    : null;
  if (slack) observability.watchSlack(slack.counters);
  const writebackConfig = writebackSettings(config);
  const writeBack = writebackConfig
    ? startWriteBack(writebackConfig, { fb, logger, redact, ingestor })
    : null;
  if (writeBack) observability.watchWriteBack(writeBack.deliverer);
  const postmortems = new Postmortems({
    incidents,
    store: fb.store,
    registry: fb.registry,
    driver: databaseOf(fb.store),
    clock: fb.engine.clock,
  });
  const gamedays = new GameDayScheduler(fb, opts.gamedays);
  // A drill waiting for its alert looks as soon as one is committed, on this replica.
  ingestor.onAccepted(() => gamedays.alertArrived());
  if (slack) {
    // Drill incidents reach the drill channel like alerts' incidents reach theirs.
    gamedays.events.on('fired', (f) => slack.notifier.incidentChanged(f.incidentId, 'opened'));
    gamedays.events.on('scored', (f) => slack.notifier.incidentChanged(f.incidentId, 'resolved'));
    gamedays.events.on('approved', (a) => slack.notifier.decided(a.approval, a.approval.decisions.at(-1)));
  }
  if (writeBack) {
    gamedays.events.on('fired', (f) => writeBack.follower.incidentChanged(f.incidentId, 'opened'));
    gamedays.events.on('scored', (f) => writeBack.follower.incidentChanged(f.incidentId, 'resolved'));
  }
  // The start's own reads retry a database that blips (a restart, a failover) like connecting does,
  // for as long as a start may wait for its database; only then does the start fail.
  const startDeadline = Date.now() + (options.startupTimeoutMs ?? 60_000);
  const whileStarting = <T>(what: string, fn: () => Promise<T>) =>
    retryTransient(fn, { what, logger, giveUp: () => Date.now() > startDeadline, maxDelayMs: 2_000 });
  await whileStarting('loading game days', () => gamedays.start());
  const pruner = startPruner(config, fb, logger);
  if (pruner) observability.watchPruner(pruner);
  const kubernetes = await startKubernetesWatch(config, { fb, ingestor, logger, postmortems });
  // Ends the web UI's live streams at close: an open stream would keep server.close() waiting.
  const shutdown = new AbortController();
  const app = createApp({
    shutdown: shutdown.signal,
    draining: () => shutdown.signal.aborted,
    config,
    fb,
    incidents,
    ingestor,
    approvals,
    postmortems,
    logger,
    gamedays,
    metrics: observability.scraper,
    ...(slack ? { slack: slack.receiver } : {}),
  });
  const limits = { ...HTTP_LIMITS, ...opts.httpLimits };
  const server = await new Promise<HttpServer>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        port: config.PORT,
        hostname: config.HOST,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          connectionsCheckingInterval: limits.checkEveryMs,
        },
      },
      () => resolve(s as HttpServer),
    ) as HttpServer;
    // Past the cap, new connections are closed at once until some end.
    s.maxConnections = config.FIREBREAK_MAX_CONNECTIONS;
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${shownHost}:${port}`;

  print(
    `firebreak listening on ${url} (${config.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${config.FIREBREAK_DATA_DIR}`})`,
  );
  for (const rb of fb.registry.list())
    print(`  runbook ${rb.id} (${rb.version}) from ${rb.source ?? 'code'}`);
  for (const f of fb.loadReport.failed) print(`  runbook file NOT loaded: ${f.path}: ${f.reason}`);
  for (const g of await whileStarting('listing game days', () => gamedays.list())) {
    if (g.loaded)
      print(`  game day ${g.id} (${g.mode}, "${g.cron}" ${g.timezone}) next ${g.nextDueAt?.toISOString()}`);
  }
  for (const [source, check] of Object.entries(webhookAuth(config))) {
    if (!check) print(`  webhook ${source}: no secret configured, accepting loopback requests only`);
  }
  const warning = exposureWarning(config);
  if (warning) print(`  ${warning}`);
  else if (!config.API_TOKENS?.length) {
    print('  API: no API_TOKENS configured, answering loopback requests only');
    print(`  API: ${LOOPBACK_NOTE}`);
  }
  print(`  ${describeRetention(config)}`);
  if (kubernetes) print(`  Kubernetes: watching ${kubernetes.describe()} (one replica at a time)`);
  if (!config.FIREBREAK_WORK)
    print('  runs: executed by `firebreak worker` processes only (FIREBREAK_WORK=false)');
  if (wakeupsOf(fb.store) === 'polling')
    print(
      `  wake-ups: no LISTEN connection (FIREBREAK_LISTEN_URL=none), polling every ${config.FIREBREAK_POLL_MS} ms`,
    );
  if (writebackConfig?.pagerduty)
    print(
      `  PagerDuty write-back through ${writebackConfig.pagerduty.apiUrl} as ${writebackConfig.pagerduty.from}`,
    );
  if (writebackConfig?.grafana) print(`  Grafana annotations to ${writebackConfig.grafana.url}`);
  if (slackConfig) {
    print(`  Slack: incidents to ${slackConfig.channels.incident} through ${slackConfig.apiUrl}`);
    if (slackConfig.operators.length === 0)
      print('  Slack: no SLACK_OPERATORS configured, /firebreak run, pause and resume are refused');
  }

  let closed = false;
  return {
    url,
    port,
    http: server,
    fb,
    approvals,
    app,
    slack,
    writeBack,
    gamedays,
    observability,
    pruner,
    kubernetes,
    async close(opts: { graceMs?: number } = {}) {
      if (closed) return;
      closed = true;
      // From here /readyz answers 503; requests are still answered while running steps finish.
      shutdown.abort();
      await gamedays.stop();
      await pruner?.stop();
      // Before the database closes: the lease is given up, so another replica watches at once.
      await kubernetes?.stop();
      await fb.engine.stop({ graceMs: opts.graceMs ?? 5_000 });
      // What the engine said while it stopped reaches the outbox before delivery stops.
      if (slack) await slack.close();
      if (writeBack) await writeBack.close();
      await closeHttp(server);
      await fb.close();
      // After the engine stopped: the spans of the runs it released are exported too.
      await observability.close();
    },
  };
}

/**
 * The watcher is an edge like the webhooks: it feeds the same Ingestor, so it runs where one is (serve),
 * on every replica, and the lease picks the one that watches. Loaded only when it is on.
 */
async function startKubernetesWatch(
  config: Config,
  deps: { fb: Firebreak; ingestor: Ingestor; logger: Logger; postmortems: Postmortems },
): Promise<KubernetesWatcher | null> {
  const watch = kubernetesWatchOf(config);
  if (!watch) return null;
  const [{ KubernetesWatcher }, { kubernetesEndpoint }] = await Promise.all([
    import('./ingest/kubernetes/watcher.ts'),
    import('./integrations/kubernetes/endpoint.ts'),
  ]);
  const watcher = new KubernetesWatcher({
    endpoint: kubernetesEndpoint(watch.settings),
    namespaces: watch.namespaces,
    ingestor: deps.ingestor,
    db: databaseOf(deps.fb.store),
    clock: deps.fb.engine.clock,
    logger: deps.logger.child({ component: 'kubernetes-watch' }),
    holder: deps.fb.engine.workerId,
    // As the webhook route does: the draft is written when the incident resolves.
    onResolved: (incidentId) =>
      void deps.postmortems
        .regenerate(incidentId)
        .catch((err) =>
          deps.logger.warn('postmortem draft failed', { incidentId, error: (err as Error).message }),
        ),
  });
  watcher.start();
  return watcher;
}

/** Stops accepting connections; requests in flight get a second, then every connection is closed. */
async function closeHttp(server: ReturnType<typeof serve>): Promise<void> {
  const http = server as HttpServer & { closeIdleConnections?(): void; closeAllConnections?(): void };
  const closed = new Promise<void>((r) => server.close(() => r()));
  http.closeIdleConnections?.();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 1_000)))]);
  clearTimeout(timer);
  http.closeAllConnections?.();
  await closed;
}
