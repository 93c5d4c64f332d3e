// `--local`: the HTTP API answered inside this process, over the database opened here. The commands
// stay the same code (one client, one set of routes, one policy); only the transport differs. Opening
// the database takes the PGlite directory's lock, so this fails while a server holds it. The engine
// executes only the runs this process starts (ownRunsOnly): on a shared PostgreSQL, a laptop never
// picks up the production workers' due runs.
import { createApp } from '../api/app.ts';
import { groupByOf, identitiesOf } from '../config/config.ts';
import { parseDuration } from '../core/duration.ts';
import { redactor } from '../core/redact.ts';
import { createFirebreak, firebreakOptionsOf } from '../firebreak.ts';
import { GameDayScheduler } from '../gamedays/scheduler.ts';
import { Ingestor } from '../ingest/ingest.ts';
import { Router } from '../ingest/route.ts';
import { pinoLogger } from '../observability/pino-logger.ts';
import { Approvals } from '../services/approvals/decide.ts';
import { Postmortems } from '../services/postmortem/postmortems.ts';
import { databaseOf, incidentStoreOf } from '../store/database.ts';
import { ApiClient } from './client.ts';
import type { ApiSession } from './connect.ts';
import type { CommandContext } from './io.ts';

/**
 * What @hono/node-server gives a request about its socket: this process is the caller, on this machine,
 * so it is a loopback caller (an admin when no API_TOKENS are configured; else FIREBREAK_TOKEN decides).
 */
const IN_PROCESS = {
  incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 0, remoteFamily: 'IPv4' } },
};

export async function openLocal(ctx: CommandContext, opts: { execute: boolean }): Promise<ApiSession> {
  const { config } = ctx;
  const options = firebreakOptionsOf(config);
  const redact = redactor(options.secrets);
  // The command's output is what matters here: the engine's info lines would interleave with it.
  const level = config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL;
  const logger = pinoLogger({ level, redact: redact.text });
  const fb = await createFirebreak({ ...options, redactor: redact, logger, work: false });
  const shutdown = new AbortController();
  let gamedays: GameDayScheduler | null = null;
  try {
    if (opts.execute) await fb.engine.work({ ownRunsOnly: true });
    const incidents = incidentStoreOf(fb.store);
    const ingestor = new Ingestor({
      driver: databaseOf(fb.store),
      router: new Router(fb.registry),
      clock: fb.engine.clock,
      flapMs: parseDuration(config.FLAP_WINDOW),
      redactor: redact,
      groupBy: groupByOf(config),
    });
    const approvals = new Approvals(fb.store, fb.engine.clock, identitiesOf(config));
    const postmortems = new Postmortems({
      incidents,
      store: fb.store,
      registry: fb.registry,
      driver: databaseOf(fb.store),
      clock: fb.engine.clock,
    });
    // Not started: a CLI never fires scheduled game days. Synced, so the schedules it lists are current.
    gamedays = new GameDayScheduler(fb);
    await gamedays.sync();
    // A drill started here runs here (its run is created by the fire, not by engine.start).
    gamedays.events.on('fired', (f) => fb.engine.adopt(f.runId));
    const app = createApp({
      config,
      fb,
      incidents,
      ingestor,
      approvals,
      postmortems,
      logger,
      gamedays,
      shutdown: shutdown.signal,
    });
    const scheduler = gamedays;
    return {
      api: new ApiClient({
        baseUrl: 'http://127.0.0.1',
        token: config.FIREBREAK_TOKEN,
        fetch: async (request) => {
          // A Request made in this process carries no Host header (a socket's would): name the loopback
          // host it stands for, as the server's Host allow-list expects (api/exposure.ts).
          const headers = new Headers(request.headers);
          headers.set('host', new URL(request.url).host);
          return app.fetch(new Request(request, { headers }), IN_PROCESS);
        },
      }),
      local: true,
      followUpDrills: () => scheduler.followUp(),
      async close() {
        shutdown.abort();
        await scheduler.stop();
        await fb.close();
      },
    };
  } catch (err) {
    shutdown.abort();
    await gamedays?.stop();
    await fb.close();
    throw err;
  }
}
