// The hono app: webhooks, the JSON API, health, OpenAPI, and the web UI at `/`. Errors become responses
// in one onError.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Firebreak } from '../firebreak.ts';
import type { GameDayScheduler } from '../gamedays/scheduler.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { mountMetrics } from '../observability/metrics-route.ts';
import { readiness } from '../observability/readiness.ts';
import type { MetricsScraper } from '../observability/scrape.ts';
import type { Approvals } from '../services/approvals/decide.ts';
import type { Postmortems } from '../services/postmortem/postmortems.ts';
import type { IncidentStore } from '../store/incidents.ts';
import { mountWeb } from '../web/web.tsx';
import { mountApprovals } from './approvals.ts';
import { bodyLimit as limitBody } from './body-limit.ts';
import { HttpError, onError } from './errors.ts';
import { exposureWarning, requestGuard } from './exposure.ts';
import { mountGameDays } from './gamedays.ts';
import { openApiDocument } from './openapi.ts';
import { mountOperations } from './operations.ts';
import { mountPostmortems, POSTMORTEM_LIMIT_BYTES } from './postmortem.ts';
import { mountApi } from './routes.ts';
import { mountSilences } from './silence.ts';
import { webhookOutcomes } from './webhook-outcomes.ts';
import { mountWebhooks, webhookAuth, webhookSources } from './webhooks.ts';

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
  /** GET /metrics (startServer); without it the route is not mounted. */
  metrics?: MetricsScraper;
  /** Aborted when the server closes: the web UI's live streams end so the HTTP server can stop. */
  shutdown?: AbortSignal;
  /** True once a shutdown began: /readyz answers 503. */
  draining?: () => boolean;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
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
  mountWebhooks(app, deps);
  mountApi(app, deps);
  mountApprovals(app, deps);
  mountPostmortems(app, { ...deps, driver: deps.fb.store.driver });
  if (deps.gamedays) mountGameDays(app, { config: deps.config, gamedays: deps.gamedays });
  mountOperations(app, deps);
  mountSilences(app, deps);
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
  app.get('/healthz', (c) => c.json({ ok: true }));
  if (deps.metrics) mountMetrics(app, deps.metrics, deps.config.METRICS_TOKEN);
  app.get('/readyz', async (c) => {
    const ready = await readiness({
      driver: deps.fb.store.driver,
      engine: deps.fb.engine,
      draining: deps.draining ?? (() => false),
    });
    return c.json(
      warning && ready.status === 200 ? { ...ready.body, warnings: [warning] } : ready.body,
      ready.status,
    );
  });
  const doc = openApiDocument();
  app.get('/openapi.json', (c) => c.json(doc));
  mountWeb(app, deps);
  return app;
}
