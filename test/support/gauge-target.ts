// A scrape target for end-to-end tests: one gauge in the Prometheus text format whose value the test sets.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GaugeTarget {
  /** host:port, as a Prometheus static target. */
  address: string;
  set(value: number): void;
  close(): Promise<void>;
}

export async function startGaugeTarget(
  name: string,
  labels: Record<string, string>,
  initial = 0,
): Promise<GaugeTarget> {
  let value = initial;
  const series = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# HELP ${name} Set by the test.\n# TYPE ${name} gauge\n${series} ${value}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    set(v) {
      value = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
