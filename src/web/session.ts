// Who is using the web UI, and whether a form post really comes from it.
//
// Signing in posts an API token. The cookie holds a random session id and an HMAC of it keyed by that
// token; the database holds the session (by the SHA-256 of its id) with its expiry and whether it was
// revoked. So the token itself never sits in the browser, taking a token out of API_TOKENS ends its
// sessions (no token verifies the MAC any more), and signing out — or an admin's "sign out everyone" —
// ends a session on every replica. A session maps to the same Caller and role as the token does on the
// API. With no tokens configured the UI answers loopback only, as the API does.
//
// Forms are protected twice: the cookie is SameSite=Strict (another site's form arrives without it), and
// every POST must say it comes from this origin (Sec-Fetch-Site, Origin or Referer) — which also covers
// the loopback mode, where there is no cookie to withhold.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type Access, type Caller, findToken, unauthenticatedCaller } from '../api/auth.ts';
import { allowedOrigin } from '../api/exposure.ts';
import type { ApiToken, Config } from '../config/config.ts';
import type { Firebreak } from '../firebreak.ts';
import { WebSessions } from '../store/sessions.ts';

export const SESSION_COOKIE = 'firebreak_session';
export const SESSION_TTL_MS = 12 * 3_600_000;

export type Identified = { caller: Caller } | { caller: null; why: 'sign_in' | 'loopback_only' };

const sessionStores = new WeakMap<Firebreak, WebSessions>();

/** The session table of this firebreak's database. */
export function sessionsOf(fb: Firebreak): WebSessions {
  let sessions = sessionStores.get(fb);
  if (!sessions) {
    sessions = WebSessions.of(fb.store);
    sessionStores.set(fb, sessions);
  }
  return sessions;
}

export async function identify(c: Context, access: Access, db: WebSessions, now: Date): Promise<Identified> {
  const tokens = access.API_TOKENS;
  if (!tokens || tokens.length === 0) {
    const caller = unauthenticatedCaller(c, access);
    return caller ? { caller } : { caller: null, why: 'loopback_only' };
  }
  const token = await sessionToken(db, tokens, getCookie(c, SESSION_COOKIE), now);
  return token
    ? { caller: { identity: token.identity, role: token.role, via: 'token' } }
    : { caller: null, why: 'sign_in' };
}

/** Checks a posted token; on success records a session, sets its cookie and returns who it is. */
export async function signIn(
  c: Context,
  db: WebSessions,
  tokens: readonly ApiToken[],
  given: string,
  now: Date,
): Promise<ApiToken | null> {
  const token = findToken(tokens, `Bearer ${given.trim()}`);
  if (!token) return null;
  const sid = randomBytes(32).toString('base64url');
  await db.create({
    id: digest(sid),
    identity: token.identity,
    createdAt: now,
    expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
  });
  setCookie(c, SESSION_COOKIE, `v2.${sid}.${mac(token, sid)}`, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    maxAge: SESSION_TTL_MS / 1000,
    secure: isHttps(c),
  });
  return token;
}

/** Ends this browser's session for good (not only its cookie) and clears the cookie. */
export async function signOut(c: Context, db: WebSessions, now: Date): Promise<void> {
  const sid = parseCookie(getCookie(c, SESSION_COOKIE))?.sid;
  if (sid) await db.revoke(digest(sid), now);
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}

/** "Sign out everyone": every open session ends; returns how many did. */
export async function revokeAllSessions(db: WebSessions, now: Date): Promise<number> {
  return db.revokeAll(now);
}

function parseCookie(value: string | undefined): { sid: string; mac: string } | null {
  const m = /^v2\.([\w-]{43})\.([\w-]{43})$/.exec(value ?? '');
  return m ? { sid: m[1]!, mac: m[2]! } : null;
}

async function sessionToken(
  db: WebSessions,
  tokens: readonly ApiToken[],
  value: string | undefined,
  now: Date,
): Promise<ApiToken | null> {
  const cookie = parseCookie(value);
  if (!cookie) return null;
  const row = await db.get(digest(cookie.sid));
  if (!row || row.revokedAt !== null) return null;
  if (row.expiresAt.getTime() <= now.getTime()) return null;
  const given = Buffer.from(cookie.mac);
  // Every token is tried, in constant time per token, so the answer says nothing about which one is close.
  let found: ApiToken | null = null;
  for (const t of tokens) {
    if (timingSafeEqual(Buffer.from(mac(t, cookie.sid)), given) && !found) found = t;
  }
  return found;
}

function mac(token: ApiToken, sid: string): string {
  return createHmac('sha256', token.token).update(`firebreak-web-session:v2:${sid}`).digest('base64url');
}

const digest = (sid: string) => createHash('sha256').update(sid).digest('hex');

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
