// Where a command's requests go: the server at FIREBREAK_URL (the default: the CLI is its client), or,
// with --local, the same API answered inside this process over a database opened here (local.ts).
import { ApiClient } from './client.ts';
import type { CommandContext } from './io.ts';

export interface ApiSession {
  api: ApiClient;
  local: boolean;
  /** --local only: moves drills under way on (the server's scheduler loop does it otherwise). */
  followUpDrills?: () => Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  local: boolean;
  /** --local: execute the runs this command starts (and only those). */
  execute?: boolean;
}

export async function openApi(ctx: CommandContext, opts: OpenOptions): Promise<ApiSession> {
  if (opts.local) {
    // Loaded only here: the engine, the database drivers and the server code are not a client's business.
    const { openLocal } = await import('./local.ts');
    return openLocal(ctx, { execute: opts.execute ?? false });
  }
  const api = new ApiClient({ baseUrl: ctx.config.FIREBREAK_URL, token: ctx.config.FIREBREAK_TOKEN });
  return { api, local: false, close: async () => {} };
}

/** Runs `fn` with a session and closes it whatever happens. */
export async function withApi<T>(
  ctx: CommandContext,
  opts: OpenOptions,
  fn: (session: ApiSession) => Promise<T>,
): Promise<T> {
  const session = await openApi(ctx, opts);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
