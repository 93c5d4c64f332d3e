import { parse } from './args.ts';
import type { Command } from './io.ts';
import { untilSignal } from './signals.ts';

const options = {} as const;

export const workerCommand = {
  summary: 'claim and execute runs until SIGTERM (run several on one PostgreSQL to scale out)',
  usage: 'worker',
  group: 'process',
  options,
  examples: ['DATABASE_URL=postgres://… FIREBREAK_METRICS_PORT=9464 firebreak worker'],
  async run(args, ctx) {
    parse(this, args, 0);
    const [
      { IncidentStore },
      { serveMetrics },
      { startObservability },
      { openFirebreak, reportLoadFailures },
    ] = await Promise.all([
      import('../incidents/incident-store.ts'),
      import('../observability/metrics-server.ts'),
      import('../observability/observability.ts'),
      import('./open.ts'),
    ]);
    const fb = await openFirebreak(ctx, { work: true });
    const observability = startObservability({
      config: ctx.config,
      engine: fb.engine,
      driver: fb.store.driver,
      incidents: new IncidentStore(fb.store.driver),
      logger: fb.engine.logger,
    });
    const port = ctx.config.FIREBREAK_METRICS_PORT;
    const metrics =
      port === undefined
        ? null
        : await serveMetrics(observability.scraper, {
            port,
            host: ctx.config.HOST,
            token: ctx.config.METRICS_TOKEN,
          });
    reportLoadFailures(fb, ctx);
    if (metrics) ctx.io.err(`metrics on ${metrics.url}`);
    ctx.io.err(
      `firebreak worker ${fb.engine.workerId}: ${fb.registry.list().length} runbooks, ` +
        `${ctx.config.DATABASE_URL ? 'PostgreSQL' : `PGlite (${ctx.config.FIREBREAK_DATA_DIR})`}`,
    );
    const signal = await untilSignal();
    ctx.io.err(`${signal}: finishing running steps, releasing leases`);
    await metrics?.close();
    await fb.close();
    await observability.close();
    return 0;
  },
} satisfies Command & { options: typeof options };
