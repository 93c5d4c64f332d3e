// Which database errors are the connection's fault rather than the statement's: the server restarting or
// unreachable, a dropped connection, a pooler turning clients away. These are retried wherever the engine
// touches the database; anything else (a constraint, a bug in a statement) is an answer and is not.
// This is the one place that decides it.
import type { Logger } from '../core/logger.ts';

/** Node socket errors and the connection errors of postgres.js. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATEs that say "try again": class 08 (connection exception, which PgBouncer also uses for its
 * own errors), the server shutting down or starting up (57P01–57P03), too many connections (53300),
 * and a transaction that lost a serialization race or a deadlock (40001, 40P01), which PostgreSQL
 * rolled back whole.
 */
function retryableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '53300' ||
    code === '40001' ||
    code === '40P01'
  );
}

/** True when `err` (or an error it wraps) is a connection-class failure worth retrying. */
export function isTransientDbError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (CONNECTION_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && retryableSqlState(code)) return true;
  }
  return false;
}

export interface RetryOptions {
  /** What is being done, for the log line ("kill-switch read"). */
  what: string;
  /** Stop retrying (and throw the last error) once this says so: the run was stopped, the deadline passed. */
  giveUp?: () => boolean;
  logger?: Logger;
  /** Largest pause between tries. Default 1 s. */
  maxDelayMs?: number;
}

/**
 * Runs `fn` until it succeeds, retrying transient database errors with exponential backoff (50 ms
 * doubling); any other error, or a transient one once `giveUp()` is true, is thrown.
 */
export async function retryTransient<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const max = opts.maxDelayMs ?? 1_000;
  for (let delay = 50, tries = 1; ; delay = Math.min(delay * 2, max), tries++) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientDbError(err) || opts.giveUp?.()) throw err;
      opts.logger?.warn(`${opts.what} failed; retrying`, {
        error: (err as Error).message,
        tries,
        delayMs: delay,
      });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
