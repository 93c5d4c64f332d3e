// The hono app: webhooks, the JSON API, health, OpenAPI, and the web UI at `/`. Errors become responses
// in one onError.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { BlankEnv } from 'hono/types';
import type { Config } from '../config/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Firebreak } from '../firebreak.ts';
import type { GameDayScheduler } from '../gamedays/scheduler.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { mountMetrics } from '../observability/metrics-route.ts';
import type { MetricsScraper } from '../observability/scrape.ts';
import type { Approvals } from '../services/approvals/decide.ts';
import { createServices, type Services } from '../services/index.ts';
import type { Postmortems } from '../services/postmortem/postmortems.ts';
import type { IncidentStore } from '../store/incidents.ts';
import { mountWeb } from '../web/web.tsx';
import { approvalRoutes } from './approvals.ts';
import { bodyLimit as limitBody } from './body-limit.ts';
import { deadLetterRoutes } from './dead-letters.ts';
import { HttpError, onError } from './errors.ts';
import { exposureWarning, requestGuard } from './exposure.ts';
import { gameDayRoutes } from './gamedays.ts';
import { healthRoutes } from './health.ts';
import { incidentRoutes } from './incidents.ts';
import { openApiDocument } from './openapi.ts';
import { operationRoutes } from './operations.ts';
import { evidenceRoutes, POSTMORTEM_LIMIT_BYTES, postmortemRoutes } from './postmortem.ts';
import { runbookRoutes } from './runbooks.ts';
import { runRoutes } from './runs.ts';
import { silenceRoutes } from './silence.ts';
import { webhookOutcomes } from './webhook-outcomes.ts';
import { webhookAuth, webhookRoutes, webhookSources } from './webhooks.ts';

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
  /** The game-day scheduler (startServer); without it /api/gamedays is not mounted. */
  gamedays?: GameDayScheduler;
  /** The use cases the API and the web UI share; built here from the above when not given. */
  services?: Services;
  /** GET /metrics (startServer); without it the route is not mounted. */
  metrics?: MetricsScraper;
  /** Aborted when the server closes: the web UI's live streams end so the HTTP server can stop. */
  shutdown?: AbortSignal;
  /** True once a shutdown began: /readyz answers 503. */
  draining?: () => boolean;
}

export function createApp(wiring: AppDeps): Hono {
  const services = wiring.services ?? createServices(wiring);
  const deps = { ...wiring, services };
  const app = new OpenAPIHono<BlankEnv>();
  app.onError(onError(deps.logger));
  app.notFound((c) =>
    c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } }, 404),
  );
  const counter = deps.metrics?.metrics.webhookRequests;
  app.use(
    '/webhooks/*',
    webhookOutcomes(
      {
        logger: deps.logger,
        count: counter ? (source, outcome) => counter.inc({ source, outcome }) : undefined,
      },
      webhookSources,
    ),
  );
  const secured = webhookAuth(deps.config) as Record<string, unknown>;
  app.use(requestGuard(deps.config, (source) => Boolean(secured[source])));
  const warning = exposureWarning(deps.config);
  // One body limit on every route that reads a body (webhooks and Slack have theirs below).
  const apiLimit = limitBody(deps.config.BODY_LIMIT_BYTES);
  const postmortemLimit = limitBody(POSTMORTEM_LIMIT_BYTES);
  app.use('/api/*', (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return (c.req.method === 'PUT' && c.req.path.endsWith('/postmortem') ? postmortemLimit : apiLimit)(
      c,
      next,
    );
  });
  app.route('/webhooks', webhookRoutes(deps));
  app.route('/api/incidents', incidentRoutes(deps));
  app.route('/api/incidents', silenceRoutes(deps));
  app.route('/api/incidents', postmortemRoutes(deps));
  app.route('/api/evidence', evidenceRoutes(deps));
  app.route('/api/runs', runRoutes(deps));
  app.route('/api/runbooks', runbookRoutes(deps));
  app.route('/api/dead-letters', deadLetterRoutes(deps));
  app.route('/api/approvals', approvalRoutes(deps));
  if (services.gameDays)
    app.route('/api/gamedays', gameDayRoutes({ config: deps.config, gameDays: services.gameDays }));
  app.route('/api', operationRoutes(deps));
  const slack = deps.slack;
  if (slack) {
    // Signed by Slack, not by an API token: the receiver checks the signature over the raw body.
    const limit = deps.config.BODY_LIMIT_BYTES;
    const tooLarge = () => {
      throw new HttpError(413, 'payload_too_large', `body is larger than ${limit} bytes`);
    };
    app.post('/slack/events', bodyLimit({ maxSize: limit, onError: tooLarge }), (c) =>
      slack.handle(c.req.raw),
    );
  }
  if (deps.metrics) mountMetrics(app, deps.metrics, deps.config.METRICS_TOKEN);
  // Generated once every route is mounted (below), from the routes' own definitions.
  let doc: Record<string, unknown> | undefined;
  const document = () => (doc ??= openApiDocument(app));
  app.route('/', healthRoutes({ fb: deps.fb, draining: deps.draining, warning, document }));
  mountWeb(app, deps);
  document();
  return app;
}
