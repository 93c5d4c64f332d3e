// Where the runbooks' systems live, read from the environment once (on first use, not at import: a
// runbook file must load even where these are unset, e.g. `firebreak runbooks validate` on a laptop).
// Defaults point at localhost: `kubectl proxy` on 8001, Prometheus on 9090.
import { NonRetryableError, z } from 'firebreak';

const url = (fallback: string) =>
  z
    .url()
    .default(fallback)
    .transform((u) => u.replace(/\/+$/, ''));
const secret = z
  .string()
  .optional()
  .transform((s) => (s?.trim() ? s.trim() : undefined));

const schema = z.object({
  KUBERNETES_API_URL: url('http://127.0.0.1:8001'),
  /** Bearer token of the service account the runbooks act as; unset behind `kubectl proxy`. */
  KUBERNETES_TOKEN: secret,
  PROMETHEUS_URL: url('http://127.0.0.1:9090'),
  FEATURE_FLAGS_URL: url('http://127.0.0.1:8090'),
  FEATURE_FLAGS_TOKEN: secret,
  /** The database admin service that ends sessions (see db-admin.ts). */
  DB_ADMIN_URL: url('http://127.0.0.1:8091'),
  DB_ADMIN_TOKEN: secret,
});

export interface Endpoint {
  url: string;
  token: string | undefined;
}

export interface Endpoints {
  kubernetes: Endpoint;
  prometheus: Endpoint;
  flags: Endpoint;
  dbAdmin: Endpoint;
}

export function parseEndpoints(env: Record<string, string | undefined>): Endpoints {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    // A wrong URL will not fix itself on retry: say which variable is wrong and stop.
    throw new NonRetryableError(`runbook endpoints are misconfigured: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    kubernetes: { url: e.KUBERNETES_API_URL, token: e.KUBERNETES_TOKEN },
    prometheus: { url: e.PROMETHEUS_URL, token: undefined },
    flags: { url: e.FEATURE_FLAGS_URL, token: e.FEATURE_FLAGS_TOKEN },
    dbAdmin: { url: e.DB_ADMIN_URL, token: e.DB_ADMIN_TOKEN },
  };
}

let cached: Endpoints | undefined;

/** The endpoints of this process, parsed on the first call. */
export function endpoints(): Endpoints {
  cached ??= parseEndpoints(process.env);
  return cached;
}
