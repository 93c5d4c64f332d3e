// LISTEN on a connection of its own that outlives database restarts. postgres.js re-issues LISTEN when
// its listening connection closes, but only once: if the server is still down at that moment the
// channel is dropped for good and wake-ups silently fall back to polling. Here a lost connection is
// listened on again with backoff until it works, and `onRestored` tells the engine to look for work it
// may have missed while deaf.
//
// The connection is a direct one (FIREBREAK_LISTEN_URL): LISTEN is session state, which a pooler in
// transaction mode does not keep.
import postgres from 'postgres';
import type { Logger } from '../core/logger.ts';
import { retryTransient } from './transient.ts';

export interface ListenerOptions {
  url: string;
  /** How long the first LISTEN may keep failing before listen() gives up. */
  startupTimeoutMs: number;
  logger: Logger;
}

/** LISTENs on `channel`; resolves once listening, with a function that stops and closes the connection. */
export async function superviseListen(
  opts: ListenerOptions,
  channel: string,
  onPayload: (payload: string) => void,
  onRestored: () => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let restoring = false;
  const quoted = `"${channel.replace(/"/g, '""')}"`;
  const sql = postgres(opts.url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: 'firebreak-listen' },
    backoff: () => 0.2,
    // Not in postgres.js's types, but its documented listen() is built on exactly this option.
    ...({
      onnotify: (c: string, payload: string) => {
        if (c === channel) onPayload(payload);
      },
    } as object),
    onclose: () => {
      if (!stopped) void restore();
    },
  });
  const listen = () => sql.unsafe(`LISTEN ${quoted}`);
  const restore = async () => {
    if (restoring) return;
    restoring = true;
    opts.logger.warn('LISTEN connection lost; listening again', { channel });
    try {
      await retryTransient(listen, { what: 'LISTEN', giveUp: () => stopped, maxDelayMs: 2_000 });
      if (stopped) return;
      opts.logger.info('LISTEN restored', { channel });
      onRestored();
    } catch (err) {
      if (!stopped)
        opts.logger.error('LISTEN failed for good; polling only', { error: (err as Error).message });
    } finally {
      restoring = false;
    }
  };
  const deadline = Date.now() + opts.startupTimeoutMs;
  try {
    await retryTransient(listen, {
      what: 'LISTEN',
      giveUp: () => Date.now() > deadline,
      logger: opts.logger,
      maxDelayMs: 2_000,
    });
  } catch (err) {
    stopped = true;
    await sql.end({ timeout: 1 });
    throw err;
  }
  return async () => {
    stopped = true;
    await sql.end({ timeout: 1 });
  };
}
