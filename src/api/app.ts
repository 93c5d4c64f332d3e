// The hono app: webhooks, the JSON API, health, OpenAPI. Errors become responses in one onError.
import { Hono } from 'hono';
import type { Approvals } from '../approvals/service.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Firebreak } from '../firebreak.ts';
import type { IncidentStore } from '../incidents/incident-store.ts';
import type { Ingestor } from '../incidents/ingest.ts';
import type { Postmortems } from '../incidents/postmortems.ts';
import { mountApprovals } from './approvals.ts';
import { onError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { mountPostmortems } from './postmortem.ts';
import { mountApi } from './routes.ts';
import { mountWebhooks } from './webhooks.ts';

export interface AppDeps {
  config: Config;
  fb: Firebreak;
  incidents: IncidentStore;
  ingestor: Ingestor;
  approvals: Approvals;
  postmortems: Postmortems;
  logger: Logger;
  /** Slack's events, interactivity and slash commands (a Bolt receiver), when Slack is configured. */
  slack?: { handle(request: Request): Promise<Response> };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(onError(deps.logger));
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  mountWebhooks(app, deps);
  mountApi(app, deps);
  mountApprovals(app, deps);
  mountPostmortems(app, { ...deps, driver: deps.fb.store.driver });
  const slack = deps.slack;
  if (slack) app.post('/slack/events', (c) => slack.handle(c.req.raw));
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      await deps.fb.store.driver.query('select 1');
      return c.json({ ok: true, worker: deps.fb.engine.workerId, activeRuns: deps.fb.engine.activeRuns });
    } catch (err) {
      return c.json({ error: { code: 'not_ready', message: `database: ${(err as Error).message}` } }, 503);
    }
  });
  const doc = openApiDocument();
  app.get('/openapi.json', (c) => c.json(doc));
  return app;
}
