// `firebreak serve` (npm start): the HTTP server with engine workers in the same process.
import { parse } from './args.ts';
import type { Command } from './io.ts';
import { untilSignal } from './signals.ts';

const options = {} as const;

export const serveCommand = {
  summary: 'HTTP server (webhooks, API, web UI, Slack) with engine workers in the same process',
  usage: 'serve',
  group: 'process',
  options,
  examples: ['PORT=8080 firebreak serve', 'DATABASE_URL=postgres://… API_TOKENS=… firebreak serve'],
  async run(args, { config, io }) {
    parse(this, args, 0);
    // Loaded here: a command that only talks to a server does not load the server.
    const { startServer } = await import('../server.ts');
    const server = await startServer(config, { print: (l) => io.out(l) });
    const signal = await untilSignal();
    io.err(`${signal}: no new requests or runs; finishing running steps, releasing leases`);
    await server.close();
    return 0;
  },
} satisfies Command & { options: typeof options };
