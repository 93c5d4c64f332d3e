// Where the runbooks' systems live, read from the environment once (on first use, not at import: a
// runbook file must load even where these are unset, e.g. `firebreak runbooks validate` on a laptop).
// Defaults point at localhost: `kubectl proxy` on 8001, Prometheus on 9090.
//
// Kubernetes: `KUBERNETES_API_URL` (with `KUBERNETES_TOKEN` or `_FILE`, `KUBERNETES_CA_FILE`), else the
// pod's own cluster as its service account, else `kubectl proxy` on 127.0.0.1:8001. That choice lives in
// `firebreak/integrations` (src/integrations/kubernetes), shared with firebreak's Kubernetes watcher.
// Every token has a `<NAME>_FILE` form, read at every request like the service account's.
import { NonRetryableError, z } from 'firebreak';
import { bearerToken, kubernetesEndpoint, SERVICE_ACCOUNT_DIR, tokenOrFile } from 'firebreak/integrations';

const withoutSlash = z.url().transform((v) => v.replace(/\/+$/, ''));
const url = (fallback: string) => withoutSlash.default(fallback);
const secret = z
  .string()
  .optional()
  .transform((s) => (s?.trim() ? s.trim() : undefined));

const schema = z.object({
  /** Unset: the pod's own cluster when running in one, else `kubectl proxy` on 127.0.0.1:8001. */
  KUBERNETES_API_URL: withoutSlash.optional(),
  /** Bearer token of the service account the runbooks act as; unset behind `kubectl proxy`. */
  KUBERNETES_TOKEN: secret,
  KUBERNETES_TOKEN_FILE: secret,
  /** PEM bundle that signed KUBERNETES_API_URL's certificate, when not a public CA. */
  KUBERNETES_CA_FILE: secret,
  /** Set by the kubelet in every pod. */
  KUBERNETES_SERVICE_HOST: secret,
  KUBERNETES_SERVICE_PORT: z.coerce.number().int().min(1).max(65535).default(443),
  /** Where the service account is mounted (the default is Kubernetes'; tests point elsewhere). */
  KUBERNETES_SERVICE_ACCOUNT_DIR: z.string().default(SERVICE_ACCOUNT_DIR),
  PROMETHEUS_URL: url('http://127.0.0.1:9090'),
  FEATURE_FLAGS_URL: url('http://127.0.0.1:8090'),
  FEATURE_FLAGS_TOKEN: secret,
  FEATURE_FLAGS_TOKEN_FILE: secret,
  /** The database admin service that ends sessions (see db-admin.ts). */
  DB_ADMIN_URL: url('http://127.0.0.1:8091'),
  DB_ADMIN_TOKEN: secret,
  DB_ADMIN_TOKEN_FILE: secret,
  /** PagerDuty's REST API and the user its writes are recorded as (the key: ctx.secret('PAGERDUTY_API_TOKEN')). */
  PAGERDUTY_API_URL: url('https://api.pagerduty.com'),
  PAGERDUTY_FROM_EMAIL: secret,
  /** Alertmanager's API, where silences are created (never an alert's externalURL: see alertmanager.ts). */
  ALERTMANAGER_URL: url('http://127.0.0.1:9093'),
  /** Bearer token, when a proxy in front of Alertmanager asks for one. */
  ALERTMANAGER_API_TOKEN: secret,
  ALERTMANAGER_API_TOKEN_FILE: secret,
  /** firebreak's own address (the incident links in silence comments); unset: the incident id only. */
  PUBLIC_URL: withoutSlash.optional(),
});

export interface Endpoint {
  url: string;
  /** A bearer token given as a value… */
  token: string | undefined;
  /** …or the file that holds it, read at each request so that a rotated token is picked up. */
  tokenFile?: string;
  /**
   * The CA bundle that signed the endpoint's certificate (a cluster's own CA), trusted for HTTPS; the
   * undici Agent that trusts it is made at the first request (http.ts), so loading runbooks stays cheap.
   */
  caFile?: string;
  /** How the endpoint was chosen, for logs and evidence. */
  source?: string;
}

export interface Endpoints {
  kubernetes: Endpoint;
  prometheus: Endpoint;
  flags: Endpoint;
  dbAdmin: Endpoint;
  /** `from` undefined: PAGERDUTY_FROM_EMAIL is not set, and a step that writes to PagerDuty says so. */
  pagerduty: { url: string; from: string | undefined };
  alertmanager: Endpoint;
  /** firebreak's PUBLIC_URL, for links to incidents. */
  publicUrl: string | undefined;
}

type Env = z.output<typeof schema>;

export function parseEndpoints(env: Record<string, string | undefined>): Endpoints {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    // A wrong URL will not fix itself on retry: say which variable is wrong and stop.
    throw new NonRetryableError(`runbook endpoints are misconfigured: ${z.prettifyError(parsed.error)}`);
  }
  const e = parsed.data;
  return {
    kubernetes: kubernetes(e),
    prometheus: { url: e.PROMETHEUS_URL, token: undefined },
    flags: withToken(e.FEATURE_FLAGS_URL, e, 'FEATURE_FLAGS_TOKEN'),
    dbAdmin: withToken(e.DB_ADMIN_URL, e, 'DB_ADMIN_TOKEN'),
    pagerduty: { url: e.PAGERDUTY_API_URL, from: e.PAGERDUTY_FROM_EMAIL },
    alertmanager: withToken(e.ALERTMANAGER_URL, e, 'ALERTMANAGER_API_TOKEN'),
    publicUrl: e.PUBLIC_URL,
  };
}

type TokenVariable = 'FEATURE_FLAGS_TOKEN' | 'DB_ADMIN_TOKEN' | 'ALERTMANAGER_API_TOKEN';

/** A wrong setting will not fix itself on retry: say which variable is wrong and stop. */
function misconfigured<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new NonRetryableError(`runbook endpoints are misconfigured: ${(err as Error).message}`);
  }
}

function withToken(url: string, e: Env, name: TokenVariable): Endpoint {
  return { url, ...misconfigured(() => tokenOrFile(name, e[name], e[`${name}_FILE`])) };
}

function kubernetes(e: Env): Endpoint {
  return misconfigured(() =>
    kubernetesEndpoint({
      apiUrl: e.KUBERNETES_API_URL,
      token: e.KUBERNETES_TOKEN,
      tokenFile: e.KUBERNETES_TOKEN_FILE,
      caFile: e.KUBERNETES_CA_FILE,
      serviceHost: e.KUBERNETES_SERVICE_HOST,
      servicePort: e.KUBERNETES_SERVICE_PORT,
      serviceAccountDir: e.KUBERNETES_SERVICE_ACCOUNT_DIR,
    }),
  );
}

/** The token to send now: a token file is read at every call (the kubelet rotates service-account tokens). */
export { bearerToken };

let cached: Endpoints | undefined;

/** The endpoints of this process, parsed on the first call. */
export function endpoints(): Endpoints {
  cached ??= parseEndpoints(process.env);
  return cached;
}
