// GET /metrics on the hono app. Open like /healthz unless METRICS_TOKEN is set; then Prometheus sends
// it as a bearer token (scrape_config `authorization`).
import type { Hono } from 'hono';
import { bearerMatches } from './bearer.ts';
import type { MetricsScraper } from './scrape.ts';

export function mountMetrics(app: Hono, scraper: MetricsScraper, token: string | undefined): void {
  app.get('/metrics', async (c) => {
    if (token && !bearerMatches(token, c.req.header('authorization'))) {
      return c.json(
        { error: { code: 'unauthorized', message: 'GET /metrics needs the METRICS_TOKEN' } },
        401,
      );
    }
    return c.body(await scraper.render(), 200, { 'content-type': scraper.contentType });
  });
}
