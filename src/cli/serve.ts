import { startServer } from '../server.ts';
import type { Command } from './io.ts';
import { untilSignal } from './open.ts';

export const serveCommand: Command = {
  summary: 'HTTP server (webhooks, API) with engine workers in the same process',
  usage: 'serve',
  async run(_args, { config, io }) {
    const server = await startServer(config, { print: (l) => io.out(l) });
    const signal = await untilSignal();
    io.err(`${signal}: no new requests or runs; finishing running steps, releasing leases`);
    await server.close();
    return 0;
  },
};
