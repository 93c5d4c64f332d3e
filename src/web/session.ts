// Who is using the web UI, and whether a form post really comes from it.
//
// Signing in posts an API token. The cookie then holds an expiry and an HMAC of it keyed by that token:
// no session table (any replica, any restart can check it), the token itself never sits in the browser,
// and taking a token out of API_TOKENS ends its sessions. A session maps to the same Caller and role as
// the token does on the API. With no tokens configured the UI answers loopback only, as the API does.
//
// Forms are protected twice: the cookie is SameSite=Strict (another site's form arrives without it), and
// every POST must say it comes from this origin (Sec-Fetch-Site, Origin or Referer) — which also covers
// the loopback mode, where there is no cookie to withhold.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type Access, type Caller, findToken, unauthenticatedCaller } from '../api/auth.ts';
import { allowedOrigin } from '../api/exposure.ts';
import type { ApiToken, Config } from '../config/config.ts';

export const SESSION_COOKIE = 'firebreak_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export type Identified = { caller: Caller } | { caller: null; why: 'sign_in' | 'loopback_only' };

export function identify(c: Context, access: Access, now: Date): Identified {
  const tokens = access.API_TOKENS;
  if (!tokens || tokens.length === 0) {
    const caller = unauthenticatedCaller(c, access);
    return caller ? { caller } : { caller: null, why: 'loopback_only' };
  }
  const token = sessionToken(tokens, getCookie(c, SESSION_COOKIE), now);
  return token
    ? { caller: { identity: token.identity, role: token.role, via: 'token' } }
    : { caller: null, why: 'sign_in' };
}

/** Checks a posted token; on success sets the session cookie and returns who it is. */
export function signIn(c: Context, tokens: readonly ApiToken[], given: string, now: Date): ApiToken | null {
  const token = findToken(tokens, `Bearer ${given.trim()}`);
  if (!token) return null;
  const expires = now.getTime() + SESSION_TTL_MS;
  setCookie(c, SESSION_COOKIE, `v1.${expires}.${mac(token, expires)}`, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
    secure: isHttps(c),
  });
  return token;
}

export function signOut(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}

function sessionToken(tokens: readonly ApiToken[], value: string | undefined, now: Date): ApiToken | null {
  const m = /^v1\.(\d{1,15})\.([\w-]{43})$/.exec(value ?? '');
  if (!m) return null;
  const expires = Number(m[1]);
  if (expires <= now.getTime()) return null;
  const given = Buffer.from(m[2]!);
  // Every token is tried, in constant time per token, so the answer says nothing about which one is close.
  let found: ApiToken | null = null;
  for (const t of tokens) {
    if (timingSafeEqual(Buffer.from(mac(t, expires)), given) && !found) found = t;
  }
  return found;
}

function mac(token: ApiToken, expires: number): string {
  return createHmac('sha256', token.token).update(`firebreak-web-session:v1:${expires}`).digest('base64url');
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

/**
 * True when a state-changing request comes from a page of this origin: PUBLIC_URL's, or this server's
 * own loopback one (exposure.ts), never whatever the request's Host says. Browsers send Sec-Fetch-Site
 * and Origin on every POST and scripts cannot forge either; an old browser without Origin still sends
 * the Referer; a request with none of them is not from our pages.
 */
export function fromThisOrigin(c: Context, config: Pick<Config, 'PUBLIC_URL'>): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const source = c.req.header('origin') ?? c.req.header('referer');
  if (!source || source === 'null') return false;
  try {
    return allowedOrigin(c, config, new URL(source).origin);
  } catch {
    return false;
  }
}
