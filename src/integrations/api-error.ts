// What the SaaS clients (PagerDuty, Grafana) throw for an answer that is not a success: one error whose
// retryability is data, read the same way by the engine (a runbook step calling the client) and by the
// write-back outbox. 429 and 5xx may pass later; any other 4xx is the same on the next try.
import { FirebreakError } from '../core/errors.ts';

/** A step's `ctx.http`, or global fetch. */
export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export class ApiError extends FirebreakError {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly method: string,
    readonly path: string,
    detail: string,
    /** From Retry-After, when the answer had one. */
    readonly retryAfterMs?: number,
  ) {
    super('api_error', `${service} ${method} ${path} answered ${status}${detail ? `: ${detail}` : ''}`, {
      nonRetryable: status >= 400 && status < 500 && status !== 408 && status !== 429,
      ...(retryAfterMs === undefined ? {} : { nextRetryDelayMs: retryAfterMs }),
      details: { service, status, method, path },
    });
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `now`; undefined if absent or bad. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * Sends one JSON request and returns the parsed answer (null for an empty body). The error message
 * carries the service's own error text, never the request headers (which hold the credential).
 */
export async function sendJson(
  fetch: Fetch,
  service: string,
  base: string,
  path: string,
  init: { method: string; headers: Record<string, string>; body?: unknown; now?: () => Date },
): Promise<unknown> {
  const res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
    method: init.method,
    headers: init.headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  if (!res.ok) {
    const wait = retryAfterMs(res.headers.get('retry-after'), init.now?.() ?? new Date());
    throw new ApiError(service, res.status, init.method, path, errorText(text), wait);
  }
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** PagerDuty's `{error:{message,errors}}`, Grafana's `{message}`, or the start of the body. */
function errorText(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string; errors?: string[] }; message?: string };
    if (j.error?.message) return [j.error.message, ...(j.error.errors ?? [])].join('; ');
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
