// Who is calling. API tokens carry a role and an identity; with no tokens configured the API answers
// loopback callers only (as admin), so a fresh install is never open to the network, unless
// FIREBREAK_ALLOW_UNAUTHENTICATED says to admit every caller (exposure.ts has the rest of that rule).
import { createHash, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiToken, Config, Role } from '../config/config.ts';
import { HttpError } from './errors.ts';
import { isLoopbackAddress } from './exposure.ts';

/** What deciding who calls needs from the configuration. */
export type Access = Pick<Config, 'API_TOKENS' | 'FIREBREAK_ALLOW_UNAUTHENTICATED'>;

export interface Caller {
  identity: string;
  role: Role;
  via: 'token' | 'loopback';
}

export type Permission = 'read' | 'operate' | 'approve' | 'admin';

/** What requireCaller leaves on the context for the handlers after it. */
export type AuthVariables = { caller: Caller };

declare module 'hono' {
  interface ContextVariableMap extends AuthVariables {}
}

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  operator: ['read', 'operate'],
  approver: ['read', 'approve'],
  admin: ['read', 'operate', 'approve', 'admin'],
};

/** Whether a role carries a permission (the web UI checks the same grants as the API). */
export function may(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** The peer is this machine's loopback interface (127.0.0.1 or ::1; a mesh sidecar's 127.0.0.6 is not). */
export function isLoopback(c: Context): boolean {
  try {
    return isLoopbackAddress(getConnInfo(c).remote.address ?? '');
  } catch {
    return false;
  }
}

/** The caller when no tokens are configured: loopback peers, or anyone if exposing that was allowed. */
export function unauthenticatedCaller(c: Context, access: Access): Caller | null {
  if (isLoopback(c)) return { identity: 'local', role: 'admin', via: 'loopback' };
  if (access.FIREBREAK_ALLOW_UNAUTHENTICATED)
    return { identity: 'anonymous', role: 'admin', via: 'loopback' };
  return null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function findToken(tokens: readonly ApiToken[], header: string | undefined): ApiToken | null {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return null;
  const given = digest(m[1]!.trim());
  // Compare digests so neither timing nor length says anything about a token.
  return tokens.find((t) => timingSafeEqual(digest(t.token), given)) ?? null;
}

export function requireCaller(
  access: Access,
  permission: Permission,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const caller = identify(c, access);
    if (!GRANTS[caller.role].includes(permission)) {
      throw new HttpError(403, 'forbidden', `${caller.identity} (${caller.role}) may not ${permission}`);
    }
    c.set('caller', caller);
    await next();
  };
}

function identify(c: Context, access: Access): Caller {
  const tokens = access.API_TOKENS;
  if (!tokens || tokens.length === 0) {
    const caller = unauthenticatedCaller(c, access);
    if (caller) return caller;
    throw new HttpError(401, 'unauthorized', 'no API tokens are configured: the API answers loopback only');
  }
  const token = findToken(tokens, c.req.header('authorization'));
  if (!token) throw new HttpError(401, 'unauthorized', 'missing or unknown bearer token');
  return { identity: token.identity, role: token.role, via: 'token' };
}

export function callerOf(c: Context): Caller {
  return c.get('caller');
}
