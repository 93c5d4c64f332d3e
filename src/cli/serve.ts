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
    // Loaded here: a command that only talks to a server does not load the server.
    const [{ startServer }, { processLogger }, { surviveDroppedConnections }, { settleHeapAfterStart }] =
      await Promise.all([
        import('../server.ts'),
        import('./open.ts'),
        import('./process-guards.ts'),
        import('./settle-heap.ts'),
      ]);
    const logger = processLogger({ config, io });
    const unguard = surviveDroppedConnections(logger);
    const server = await startServer(config, { print: (l) => io.out(l), logger });
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
