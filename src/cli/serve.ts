// `firebreak serve` (npm start): the HTTP server with engine workers in the same process.
import { parse } from './args.ts';
import type { Command } from './io.ts';
import { onShutdown } from './signals.ts';

const options = {} as const;

export const serveCommand = {
  summary: 'HTTP server (webhooks, API, web UI, Slack) with engine workers in the same process',
  usage: 'serve',
  group: 'process',
  options,
  examples: ['PORT=8080 firebreak serve', 'DATABASE_URL=postgres://… API_TOKENS=… firebreak serve'],
  async run(args, { config, io }) {
    parse(this, args, 0);
    const grace = config.FIREBREAK_SHUTDOWN_GRACE_MS;
    const shutdown = onShutdown(grace, io);
    // The database opens first, while the server's modules load (src/opening.ts says why not the
    // runbooks too). Not when the start will be refused for its exposure: nothing opens then.
    const [{ beginOpening, abandonOpening }, { processLogger }, { exposureProblem }, { configOptionsOf }] =
      await Promise.all([
        import('../opening.ts'),
        import('./process-logger.ts'),
        import('../api/exposure.ts'),
        import('../config/config.ts'),
      ]);
    const logger = processLogger({ config });
    const opening = exposureProblem(config)
      ? undefined
      : beginOpening({ ...configOptionsOf(config), logger }, { runbooks: false });
    // Loaded here: a command that only talks to a server does not load the server.
    const [{ startServer }, { surviveDroppedConnections }, { settleHeapAfterStart }] = await Promise.all([
      import('../server.ts'),
      import('./process-guards.ts'),
      import('./settle-heap.ts'),
    ]);
    const unguard = surviveDroppedConnections(logger);
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer(config, {
        print: (l) => io.out(l),
        logger,
        ...(opening ? { opening } : {}),
      });
    } catch (err) {
      if (opening) await abandonOpening(opening);
      throw err;
    }
    settleHeapAfterStart();
    const signal = await shutdown.signal;
    io.err(
      `${signal}: /readyz answers 503; no new runs here; running steps get ${grace} ms to finish, then leases are released`,
    );
    await server.close({ graceMs: grace });
    shutdown.stopped();
    unguard();
    return 0;
  },
} satisfies Command & { options: typeof options };
