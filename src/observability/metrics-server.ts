// `firebreak worker` has no HTTP server of its own: with FIREBREAK_METRICS_PORT set it answers
// GET /metrics, GET /healthz (the process is up) and GET /readyz (the database answers and no shutdown
// began; 503 from the moment SIGTERM arrives) on a small node:http listener, for Prometheus and for
// Kubernetes probes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerMatches } from './bearer.ts';
import { type ReadinessDeps, readiness } from './readiness.ts';
import type { MetricsScraper } from './scrape.ts';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  host: string;
  /** METRICS_TOKEN: required as a bearer token for /metrics when set (the probes stay open). */
  token?: string | undefined;
  /** What /readyz checks. */
  ready: ReadinessDeps;
}

export async function serveMetrics(
  scraper: MetricsScraper,
  opts: MetricsServerOptions,
): Promise<MetricsServer> {
  const { port, host, token } = opts;
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server: Server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('only GET here\n');
      return;
    }
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/readyz') {
      void readiness(opts.ready).then((r) => json(res, r.status, r.body));
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics, /healthz or /readyz here\n');
      return;
    }
    if (token && !bearerMatches(token, req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('GET /metrics needs the METRICS_TOKEN\n');
      return;
    }
    scraper.render().then(
      (text) => res.writeHead(200, { 'content-type': scraper.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${bound}/metrics`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
