// Who is calling. API tokens carry a role and an identity; with no tokens configured the API answers
// loopback callers only (as admin), so a fresh install is never open to the network.
import { createHash, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiToken, Role } from '../config/config.ts';
import { HttpError } from './errors.ts';

export interface Caller {
  identity: string;
  role: Role;
  via: 'token' | 'loopback';
}

export type Permission = 'read' | 'operate' | 'approve' | 'admin';

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

export function isLoopback(c: Context): boolean {
  try {
    const addr = getConnInfo(c).remote.address ?? '';
    return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1' || addr.startsWith('127.');
  } catch {
    return false;
  }
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
  tokens: readonly ApiToken[] | undefined,
  permission: Permission,
): MiddlewareHandler {
  return async (c, next) => {
    const caller = identify(c, tokens);
    if (!GRANTS[caller.role].includes(permission)) {
      throw new HttpError(403, 'forbidden', `${caller.identity} (${caller.role}) may not ${permission}`);
    }
    c.set('caller' as never, caller as never);
    await next();
  };
}

function identify(c: Context, tokens: readonly ApiToken[] | undefined): Caller {
  if (!tokens || tokens.length === 0) {
    if (isLoopback(c)) return { identity: 'local', role: 'admin', via: 'loopback' };
    throw new HttpError(401, 'unauthorized', 'no API tokens are configured: the API answers loopback only');
  }
  const token = findToken(tokens, c.req.header('authorization'));
  if (!token) throw new HttpError(401, 'unauthorized', 'missing or unknown bearer token');
  return { identity: token.identity, role: token.role, via: 'token' };
}

export function callerOf(c: Context): Caller {
  return c.get('caller' as never) as Caller;
}
