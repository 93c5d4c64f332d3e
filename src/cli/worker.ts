import { parse } from './args.ts';
import type { Command } from './io.ts';
import { onShutdown } from './signals.ts';

const options = {} as const;

export const workerCommand = {
  summary: 'claim and execute runs until SIGTERM (run several on one PostgreSQL to scale out)',
  usage: 'worker',
  group: 'process',
  options,
  examples: ['DATABASE_URL=postgres://… FIREBREAK_METRICS_PORT=9464 firebreak worker'],
  async run(args, ctx) {
    parse(this, args, 0);
    const grace = ctx.config.FIREBREAK_SHUTDOWN_GRACE_MS;
    const shutdown = onShutdown(grace, ctx.io);
    const [
      { databaseOf, incidentStoreOf, wakeupsOf },
      { serveMetrics },
      { startObservability },
      { startPruner },
      { openFirebreak, processLogger, reportLoadFailures },
      { surviveDroppedConnections },
      { settleHeapAfterStart },
      { writebackSettings },
      { startWriteBack },
      { redactor },
      { secretsOf },
    ] = await Promise.all([
      import('../store/database.ts'),
      import('../observability/metrics-server.ts'),
      import('../observability/observability.ts'),
      import('../retention/pruner.ts'),
      import('./open.ts'),
      import('./process-guards.ts'),
      import('./settle-heap.ts'),
      import('../integrations/writeback/settings.ts'),
      import('../integrations/writeback/writeback.ts'),
      import('../core/redact.ts'),
      import('../config/config.ts'),
    ]);
    const unguard = surviveDroppedConnections(processLogger(ctx));
    const fb = await openFirebreak(ctx, { work: true });
    const observability = startObservability({
      config: ctx.config,
      engine: fb.engine,
      driver: databaseOf(fb.store),
      incidents: incidentStoreOf(fb.store),
      logger: fb.engine.logger,
    });
    // Runs executed here write back to PagerDuty and Grafana from here (engine events are per process).
    const writebackConfig = writebackSettings(ctx.config);
    const writeBack = writebackConfig
      ? startWriteBack(writebackConfig, {
          fb,
          logger: fb.engine.logger,
          redact: redactor(secretsOf(ctx.config)),
        })
      : null;
    if (writeBack) observability.watchWriteBack(writeBack.deliverer);
    const pruner = startPruner(ctx.config, fb, fb.engine.logger);
    if (pruner) observability.watchPruner(pruner);
    let draining = false;
    const port = ctx.config.FIREBREAK_METRICS_PORT;
    const metrics =
      port === undefined
        ? null
        : await serveMetrics(observability.scraper, {
            port,
            host: ctx.config.HOST,
            token: ctx.config.METRICS_TOKEN,
            ready: { driver: databaseOf(fb.store), engine: fb.engine, draining: () => draining },
          });
    reportLoadFailures(fb, ctx);
    settleHeapAfterStart();
    if (metrics) ctx.io.err(`metrics on ${metrics.url}, probes on /healthz and /readyz`);
    if (wakeupsOf(fb.store) === 'polling') {
      ctx.io.err(
        `no LISTEN connection (FIREBREAK_LISTEN_URL=none): polling every ${ctx.config.FIREBREAK_POLL_MS} ms`,
      );
    }
    ctx.io.err(
      `firebreak worker ${fb.engine.workerId}: ${fb.registry.list().length} runbooks, ` +
        `${ctx.config.DATABASE_URL ? 'PostgreSQL' : `PGlite (${ctx.config.FIREBREAK_DATA_DIR})`}`,
    );
    const signal = await shutdown.signal;
    draining = true;
    ctx.io.err(
      `${signal}: /readyz answers 503; running steps get ${grace} ms to finish, then leases are released`,
    );
    await pruner?.stop();
    // What the engine said while it stopped reaches the outbox before the database closes.
    await fb.engine.stop({ graceMs: grace });
    await writeBack?.close();
    await fb.close({ graceMs: grace });
    await metrics?.close();
    await observability.close();
    shutdown.stopped();
    unguard();
    return 0;
  },
} satisfies Command & { options: typeof options };
