// Which Kubernetes API server, as whom: shared by the example runbooks (runbooks/lib/endpoints.ts) and
// firebreak's own Kubernetes watcher (src/ingest/kubernetes), so both find the cluster the same way.
//
// In this order:
// 1. `apiUrl` (KUBERNETES_API_URL) set: that API server, with its token (or token file) and, for a
//    private CA, `caFile`.
// 2. Inside a pod (`serviceHost`, i.e. KUBERNETES_SERVICE_HOST, set and a service-account token mounted):
//    the cluster's own API server at https://host:port, trusted through the mounted ca.crt, as the pod's
//    service account. The token file is read at every request: the kubelet rotates projected tokens
//    (about hourly), and an old one is refused.
// 3. Otherwise `kubectl proxy` on 127.0.0.1:8001.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NonRetryableError } from '../../core/errors.ts';

/** Where Kubernetes mounts a pod's service account. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubernetesSettings {
  /** KUBERNETES_API_URL, without a trailing slash. */
  apiUrl?: string | undefined;
  /** KUBERNETES_TOKEN… */
  token?: string | undefined;
  /** …or KUBERNETES_TOKEN_FILE (not both). */
  tokenFile?: string | undefined;
  /** KUBERNETES_CA_FILE: the PEM bundle that signed `apiUrl`'s certificate. */
  caFile?: string | undefined;
  /** KUBERNETES_SERVICE_HOST and _PORT, set by the kubelet in every pod. */
  serviceHost?: string | undefined;
  servicePort?: number | undefined;
  /** Where the service account is mounted (default SERVICE_ACCOUNT_DIR; tests point elsewhere). */
  serviceAccountDir?: string | undefined;
}

export interface KubernetesEndpoint {
  url: string;
  /** A bearer token given as a value… */
  token: string | undefined;
  /** …or the file that holds it, read at each request so that a rotated token is picked up. */
  tokenFile?: string;
  /** The CA bundle that signed the server's certificate (a cluster's own CA), trusted for HTTPS. */
  caFile?: string;
  /** How the endpoint was chosen, for logs and evidence. */
  source: string;
}

/** The token as a value, or the file holding it: both at once is a mistake (which would win is a guess). */
export function tokenOrFile(
  name: string,
  token: string | undefined,
  tokenFile: string | undefined,
  fallbackFile?: string,
): { token: string | undefined; tokenFile?: string } {
  if (token && tokenFile) throw new NonRetryableError(`set ${name} or ${name}_FILE, not both`);
  const file = tokenFile ?? (token ? undefined : fallbackFile);
  return file ? { token: undefined, tokenFile: file } : { token };
}

export function kubernetesEndpoint(s: KubernetesSettings): KubernetesEndpoint {
  const token = (fallbackFile?: string) =>
    tokenOrFile('KUBERNETES_TOKEN', s.token, s.tokenFile, fallbackFile);
  if (s.apiUrl) {
    return {
      url: s.apiUrl.replace(/\/+$/, ''),
      ...token(),
      ...(s.caFile ? { caFile: s.caFile } : {}),
      source: 'KUBERNETES_API_URL',
    };
  }
  const account = s.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (s.serviceHost && existsSync(join(account, 'token'))) {
    // An IPv6 service address needs brackets in a URL.
    const host = s.serviceHost.includes(':') ? `[${s.serviceHost}]` : s.serviceHost;
    const ca = join(account, 'ca.crt');
    return {
      url: `https://${host}:${s.servicePort ?? 443}`,
      ...token(join(account, 'token')),
      ...(existsSync(ca) ? { caFile: ca } : {}),
      source: 'in-cluster service account',
    };
  }
  return { url: 'http://127.0.0.1:8001', ...token(), source: 'kubectl proxy' };
}

/** The token to send now: a token file is read at every call (the kubelet rotates service-account tokens). */
export async function bearerToken(e: {
  token: string | undefined;
  tokenFile?: string;
}): Promise<string | undefined> {
  if (!e.tokenFile) return e.token;
  const token = (await readFile(e.tokenFile, 'utf8')).trim();
  return token || undefined;
}
