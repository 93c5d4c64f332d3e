// `firebreak worker` has no HTTP server of its own: with FIREBREAK_METRICS_PORT set it answers
// GET /metrics (and nothing else) on a small node:http listener.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findToken } from '../api/auth.ts';
import type { MetricsScraper } from './scrape.ts';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  host: string;
  /** METRICS_TOKEN: required as a bearer token when set. */
  token?: string | undefined;
}

export async function serveMetrics(
  scraper: MetricsScraper,
  opts: MetricsServerOptions,
): Promise<MetricsServer> {
  const { port, host, token } = opts;
  const tokens = token ? [{ token, role: 'viewer' as const, identity: 'metrics' }] : null;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    if (tokens && !findToken(tokens, req.headers.authorization)) {
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
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
