// Who may reach this server at all, before any token is looked at (docs/security.md has the model).
//
// With no API tokens a loopback caller is admin, so "loopback" must mean this machine and nothing a web
// page can fake: the socket listens on 127.0.0.1 unless FIREBREAK_ALLOW_UNAUTHENTICATED says otherwise;
// a peer is loopback only at 127.0.0.1 or ::1 (Istio's sidecar forwards the mesh's traffic from
// 127.0.0.6); and the Host header must be a loopback name or PUBLIC_URL's host, so a DNS-rebinding page
// (evil.example resolving to 127.0.0.1) is answered 421. In every mode a state-changing request that a
// browser marks as coming from another site, or from an origin other than PUBLIC_URL's or this
// server's own loopback one, is refused (403), and a JSON endpoint takes only a JSON body (415): a
// cross-site page can send text/plain without asking, never application/json.
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import type { Config } from '../config/config.ts';
import { HttpError } from './errors.ts';

type Exposure = Pick<
  Config,
  'API_TOKENS' | 'FIREBREAK_ALLOW_UNAUTHENTICATED' | 'HOST' | 'PUBLIC_URL' | 'METRICS_TOKEN'
>;

/** A peer address that is this machine's own loopback interface (not the rest of 127.0.0.0/8). */
export function isLoopbackAddress(address: string): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** `localhost`, 127.0.0.0/8 or [::1], as a URL's hostname (lower case, IPv4 normalised, IPv6 bracketed). */
export function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Serving without tokens: every request is unauthenticated. */
export function unauthenticated(config: Pick<Config, 'API_TOKENS'>): boolean {
  return !config.API_TOKENS?.length;
}

/** Why `serve` must not start with this configuration, or null. */
export function exposureProblem(config: Exposure): string | null {
  if (!unauthenticated(config) || config.FIREBREAK_ALLOW_UNAUTHENTICATED) return null;
  const host = hostnameOf(config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST);
  if (host !== null && isLoopbackName(host)) return null;
  return (
    `HOST: ${config.HOST} is not a loopback address and no API_TOKENS are configured, so anyone who ` +
    'reaches it would be admin. Set API_TOKENS, or FIREBREAK_ALLOW_UNAUTHENTICATED=true to serve ' +
    'unauthenticated anyway (behind an authenticating proxy)'
  );
}

/** The warning shown at start, in /readyz and on every page while serving unauthenticated to the network. */
export function exposureWarning(config: Exposure): string | null {
  if (!unauthenticated(config) || !config.FIREBREAK_ALLOW_UNAUTHENTICATED) return null;
  return (
    'WARNING: unauthenticated mode (FIREBREAK_ALLOW_UNAUTHENTICATED=true, no API_TOKENS): every caller ' +
    'that reaches this server is admin'
  );
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The app's first middleware: the Host allow-list and the same-origin rule for state changes. */
export function requestGuard(
  config: Exposure,
  webhookSecured: (source: string) => boolean,
): MiddlewareHandler {
  const open = unauthenticated(config);
  const publicHost = config.PUBLIC_URL ? new URL(config.PUBLIC_URL).hostname : null;
  // Signed or token-authenticated senders name the host they were configured with (a Service name, a
  // pod IP); a rebinding page cannot present their secret, so the Host they send does not matter.
  const authenticatedElsewhere = (path: string) =>
    path === '/slack/events' ||
    (path === '/metrics' && config.METRICS_TOKEN !== undefined) ||
    (path.startsWith('/webhooks/') && webhookSecured(path.slice('/webhooks/'.length)));
  // Kubernetes probes send the pod IP as Host; they read nothing worth rebinding for.
  const hostExempt = (path: string) =>
    path === '/healthz' || path === '/readyz' || authenticatedElsewhere(path);

  return async (c, next) => {
    const path = c.req.path;
    if (open && !hostExempt(path)) {
      const hostname = hostnameOf(c.req.header('host') ?? '');
      if (hostname === null || !(isLoopbackName(hostname) || hostname === publicHost)) {
        throw new HttpError(
          421,
          'misdirected_request',
          `this server answers loopback names${publicHost ? ` and ${publicHost}` : ''} only, not Host ` +
            `"${c.req.header('host') ?? ''}" (set PUBLIC_URL to the URL you open it at)`,
        );
      }
    }
    if (STATE_CHANGING.has(c.req.method) && !authenticatedElsewhere(path)) {
      if (crossSite(c, config)) {
        throw new HttpError(403, 'cross_site', 'a state-changing request from another site is refused');
      }
      if (c.req.method === 'POST' && jsonRoute(path) && hasBody(c) && !isJson(c.req.header('content-type'))) {
        throw new HttpError(415, 'unsupported_media_type', 'the body must be application/json');
      }
    }
    await next();
  };
}

/**
 * Whether an Origin may change state here: PUBLIC_URL's origin, or a loopback name on the port this
 * connection arrived at. Never compared with the request's own Host, which a rebinding page chooses.
 */
export function allowedOrigin(c: Context, config: Pick<Config, 'PUBLIC_URL'>, origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (config.PUBLIC_URL && url.origin === new URL(config.PUBLIC_URL).origin) return true;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return isLoopbackName(url.hostname) && port === localPort(c);
}

/** A browser said the request comes from another site, or from an origin this server does not serve. */
function crossSite(c: Context, config: Pick<Config, 'PUBLIC_URL'>): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = c.req.header('origin');
  // No Origin: not a browser's cross-origin request (curl, the CLI, a webhook sender).
  return origin !== undefined && !allowedOrigin(c, config, origin);
}

function jsonRoute(path: string): boolean {
  return path.startsWith('/api/') || path.startsWith('/webhooks/');
}

function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return c.req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** application/json, or a +json type, with any parameters. */
export function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

function localPort(c: Context): number | null {
  return (c.env as HttpBindings | undefined)?.incoming?.socket?.localPort ?? null;
}

/** The hostname of a Host header value (`name`, `name:port`, `[v6]:port`), normalised; null if malformed. */
function hostnameOf(host: string): string | null {
  if (host === '' || /[/?#@\\\s]/.test(host)) return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}
