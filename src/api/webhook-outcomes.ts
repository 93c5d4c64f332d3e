// Every webhook delivery is counted (firebreak_webhook_requests_total{source,outcome}), and every refused
// one is logged at warn with its source, the reason and the client's address — never the credential it
// presented: a mistyped token or secret is then debuggable from firebreak's side. Mounted before the
// request guard, so refusals of the guard (421, 403, 415) are counted and logged too.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../core/logger.ts';
import { toErrorResponse } from './errors.ts';

/** The route's own word on an accepted delivery: accepted, duplicate or dead_letter. */
export type WebhookOutcomeVariables = { webhookOutcome: 'accepted' | 'duplicate' | 'dead_letter' };

declare module 'hono' {
  interface ContextVariableMap extends WebhookOutcomeVariables {}
}

export function setWebhookOutcome(c: Context, outcome: WebhookOutcomeVariables['webhookOutcome']): void {
  c.set('webhookOutcome', outcome);
}

export function webhookOutcomes(
  deps: { logger: Logger; count?: ((source: string, outcome: string) => void) | undefined },
  sources: readonly string[],
): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const named = c.req.path.slice('/webhooks/'.length);
    const source = sources.includes(named) ? named : 'unknown';
    const set: string | undefined = c.get('webhookOutcome');
    if (set && c.res.status < 400) {
      deps.count?.(source, set);
      return;
    }
    const { body } = toErrorResponse(c.error);
    const outcome = c.error ? body.error.code : c.res.status >= 500 ? 'internal' : `http_${c.res.status}`;
    deps.count?.(source, outcome);
    deps.logger.warn('webhook refused', {
      source,
      status: c.res.status,
      reason: c.error && c.res.status < 500 ? body.error.message : outcome,
      client: clientAddress(c),
    });
  };
}

function clientAddress(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}
