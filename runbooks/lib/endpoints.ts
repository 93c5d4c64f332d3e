// Where the runbooks' systems live, read from the environment once (on first use, not at import: a
// runbook file must load even where these are unset, e.g. `firebreak runbooks validate` on a laptop).
// Defaults point at localhost: `kubectl proxy` on 8001, Prometheus on 9090.
//
// Kubernetes, in this order:
// 1. `KUBERNETES_API_URL` set: that API server, with `KUBERNETES_TOKEN` (or `KUBERNETES_TOKEN_FILE`)
//    and, for a private CA, `KUBERNETES_CA_FILE`.
// 2. Inside a pod (`KUBERNETES_SERVICE_HOST` set and a service-account token mounted): the cluster's
//    own API server at https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, trusted through the
//    mounted ca.crt, as the pod's service account. The token file is read at every request: the kubelet
//    rotates it (about hourly for projected tokens), and an old token is refused.
// 3. Otherwise `kubectl proxy` on 127.0.0.1:8001.
// Every token has a `<NAME>_FILE` form, read at every request like the service account's.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NonRetryableError, z } from 'firebreak';

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
  KUBERNETES_SERVICE_ACCOUNT_DIR: z.string().default('/var/run/secrets/kubernetes.io/serviceaccount'),
  PROMETHEUS_URL: url('http://127.0.0.1:9090'),
  FEATURE_FLAGS_URL: url('http://127.0.0.1:8090'),
  FEATURE_FLAGS_TOKEN: secret,
  FEATURE_FLAGS_TOKEN_FILE: secret,
  /** The database admin service that ends sessions (see db-admin.ts). */
  DB_ADMIN_URL: url('http://127.0.0.1:8091'),
  DB_ADMIN_TOKEN: secret,
  DB_ADMIN_TOKEN_FILE: secret,
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
    kubernetes: kubernetesEndpoint(e),
    prometheus: { url: e.PROMETHEUS_URL, token: undefined },
    flags: withToken(e.FEATURE_FLAGS_URL, e, 'FEATURE_FLAGS_TOKEN'),
    dbAdmin: withToken(e.DB_ADMIN_URL, e, 'DB_ADMIN_TOKEN'),
    alertmanager: withToken(e.ALERTMANAGER_URL, e, 'ALERTMANAGER_API_TOKEN'),
    publicUrl: e.PUBLIC_URL,
  };
}

type TokenVariable = 'KUBERNETES_TOKEN' | 'FEATURE_FLAGS_TOKEN' | 'DB_ADMIN_TOKEN' | 'ALERTMANAGER_API_TOKEN';

/** `<NAME>` or `<NAME>_FILE` (both at once is a mistake), else the token file given as a fallback. */
function withToken(url: string, e: Env, name: TokenVariable, fallbackFile?: string): Endpoint {
  const token = e[name];
  const tokenFile = e[`${name}_FILE`] ?? (token ? undefined : fallbackFile);
  if (token && e[`${name}_FILE`]) {
    throw new NonRetryableError(`runbook endpoints are misconfigured: set ${name} or ${name}_FILE, not both`);
  }
  return tokenFile ? { url, token: undefined, tokenFile } : { url, token };
}

function kubernetesEndpoint(e: Env): Endpoint {
  const trust = (caFile: string) => ({ caFile });
  if (e.KUBERNETES_API_URL) {
    return {
      ...withToken(e.KUBERNETES_API_URL, e, 'KUBERNETES_TOKEN'),
      ...(e.KUBERNETES_CA_FILE ? trust(e.KUBERNETES_CA_FILE) : {}),
      source: 'KUBERNETES_API_URL',
    };
  }
  const account = e.KUBERNETES_SERVICE_ACCOUNT_DIR;
  if (e.KUBERNETES_SERVICE_HOST && existsSync(join(account, 'token'))) {
    // An IPv6 service address needs brackets in a URL.
    const host = e.KUBERNETES_SERVICE_HOST.includes(':')
      ? `[${e.KUBERNETES_SERVICE_HOST}]`
      : e.KUBERNETES_SERVICE_HOST;
    const ca = join(account, 'ca.crt');
    return {
      ...withToken(
        `https://${host}:${e.KUBERNETES_SERVICE_PORT}`,
        e,
        'KUBERNETES_TOKEN',
        join(account, 'token'),
      ),
      ...(existsSync(ca) ? trust(ca) : {}),
      source: 'in-cluster service account',
    };
  }
  return {
    ...withToken('http://127.0.0.1:8001', e, 'KUBERNETES_TOKEN'),
    source: 'kubectl proxy',
  };
}

/** The token to send now: a token file is read at every call (the kubelet rotates service-account tokens). */
export async function bearerToken(e: Endpoint): Promise<string | undefined> {
  if (!e.tokenFile) return e.token;
  const token = (await readFile(e.tokenFile, 'utf8')).trim();
  return token || undefined;
}

let cached: Endpoints | undefined;

/** The endpoints of this process, parsed on the first call. */
export function endpoints(): Endpoints {
  cached ??= parseEndpoints(process.env);
  return cached;
}
