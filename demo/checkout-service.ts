// A small stand-in for a real "checkout" service, for the demo: it serves its own metrics through a
// Prometheus-compatible query endpoint, and has deploy, rollback and roll-forward endpoints. The bad
// deploy it starts with fails 12% of requests; rolling back brings that down to 0.4%.
import { createServer, type Server } from 'node:http';

interface Release {
  revision: number;
  image: string;
  errorRatio: number;
  deployedAt: string;
}

export interface CheckoutService {
  url: string;
  server: Server;
  state(): { current: Release; history: Release[] };
  close(): Promise<void>;
}

export async function startCheckout(port = 0): Promise<CheckoutService> {
  const now = Date.now();
  const history: Release[] = [
    {
      revision: 41,
      image: 'checkout:1.41.0',
      errorRatio: 0.004,
      deployedAt: new Date(now - 26 * 3600_000).toISOString(),
    },
    {
      revision: 42,
      image: 'checkout:1.42.0',
      errorRatio: 0.12,
      deployedAt: new Date(now - 7 * 60_000).toISOString(),
    },
  ];
  let current = history[1]!;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/api/v1/query') {
      // Whatever the query, the answer is this service's 5xx ratio right now.
      const at = Date.now() / 1000;
      return send(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { service: 'checkout' }, value: [at, String(current.errorRatio)] }],
        },
      });
    }
    if (req.method === 'GET' && url.pathname === '/deploys') {
      const previous = history.filter((r) => r.revision < current.revision).at(-1) ?? null;
      return send(200, { current, previous });
    }
    if (
      req.method === 'POST' &&
      (url.pathname === '/deploys/rollback' || url.pathname === '/deploys/roll-forward')
    ) {
      const target =
        url.pathname === '/deploys/rollback'
          ? history.filter((r) => r.revision < current.revision).at(-1)
          : history.filter((r) => r.revision > current.revision)[0];
      if (!target) return send(409, { error: 'nothing to move to' });
      current = target;
      return send(200, { current });
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    server,
    state: () => ({ current, history }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
