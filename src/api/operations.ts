// What the CLI and scripts need beside the resources in routes.ts: the kill switch, a run's journal as a
// live stream (SSE, as the web page gets it, with each event's data), and one game-day drill's state.
import { EventEmitter } from 'node:events';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Firebreak } from '../firebreak.ts';
import type { GameDayScheduler } from '../gamedays/scheduler.ts';
import { journalRow, liveStream } from '../web/live.ts';
import { callerOf, requireCaller } from './auth.ts';
import { extraOps } from './openapi.ts';
import { jsonBody } from './validate.ts';

export const killSwitchBody = z.object({
  paused: z.boolean(),
  reason: z.string().max(2000).optional(),
});

extraOps([
  {
    method: 'get',
    path: '/api/me',
    summary: 'Who the caller is: identity, role, and how it was recognised (token or loopback)',
    ok: 200,
  },
  {
    method: 'get',
    path: '/api/kill-switch',
    summary: 'Whether new mitigations are paused, by whom and since when',
    ok: 200,
  },
  {
    method: 'post',
    path: '/api/kill-switch',
    summary: 'Pause ({"paused":true}) or resume new mitigations; diagnostics always run',
    body: killSwitchBody,
    ok: 200,
  },
  {
    method: 'get',
    path: '/api/runs/{id}/events',
    summary:
      'The run journal as server-sent events: `state` (steps), `journal` (one event, with its data), `end`',
    ok: 200,
  },
  {
    method: 'get',
    path: '/api/gamedays/fires/{id}',
    summary: 'One drill: its incident, run, and scorecard once scored',
    ok: 200,
  },
]);

/** What loopback mode means, in the same words on the banner, the web page, the API and the docs. */
export const LOOPBACK_NOTE =
  'no API_TOKENS: every loopback caller is an unauthenticated admin, and group gates are not enforced for it';

export interface KillSwitchState {
  paused: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
  reason: string | null;
}

export async function killSwitchState(fb: Firebreak): Promise<KillSwitchState> {
  const [row] = await fb.store.driver.query(
    `select value, updated_by, updated_at from settings where key = 'kill_switch'`,
  );
  const value = (row?.value ?? {}) as { paused?: boolean; reason?: string };
  return {
    paused: value.paused === true,
    updatedBy: row ? ((row.updated_by as string | null) ?? null) : null,
    updatedAt: row ? new Date(row.updated_at as string | Date).toISOString() : null,
    reason: value.reason ?? null,
  };
}

export function mountOperations(
  app: Hono,
  deps: {
    config: Config;
    fb: Firebreak;
    logger: Logger;
    gamedays?: GameDayScheduler | undefined;
    shutdown?: AbortSignal | undefined;
  },
): void {
  const { fb } = deps;
  const read = requireCaller(deps.config, 'read');
  const operate = requireCaller(deps.config, 'operate');

  app.get('/api/me', read, (c) => {
    const caller = callerOf(c);
    return c.json({
      ...caller,
      // Said plainly, because it surprises: with no API_TOKENS every loopback caller is this admin.
      ...(caller.via === 'loopback' ? { note: LOOPBACK_NOTE } : {}),
    });
  });

  app.get('/api/kill-switch', read, async (c) => c.json(await killSwitchState(fb)));

  app.post('/api/kill-switch', operate, async (c) => {
    const body = await jsonBody(c, killSwitchBody);
    const by = `api:${callerOf(c).identity}`;
    await fb.store.setSetting(
      'kill_switch',
      { paused: body.paused, ...(body.reason ? { reason: body.reason } : {}) },
      by,
      fb.engine.clock.now(),
    );
    return c.json(await killSwitchState(fb));
  });

  // The API's own stream: bearer tokens (the web page's stream is under /ui with its session), and the
  // event data goes along, so a client can say more than the page's one-line detail.
  const live = {
    store: fb.store,
    events: fb.engine.events,
    pokes: new EventEmitter().setMaxListeners(0),
    shutdown: deps.shutdown,
    logger: deps.logger,
    row: (e: Parameters<typeof journalRow>[0]) => ({ ...journalRow(e), data: e.data }),
  };
  app.get('/api/runs/:id/events', read, async (c) => {
    const run = await fb.store.getRun(c.req.param('id'));
    if (!run) throw new NotFoundError('run', c.req.param('id'));
    return liveStream(c, live, { runId: run.id }, async () => [run.id]);
  });

  const gamedays = deps.gamedays;
  if (gamedays) {
    app.get('/api/gamedays/fires/:id', read, async (c) => {
      const fire = await gamedays.store.fireById(c.req.param('id'));
      if (!fire) throw new NotFoundError('game day fire', c.req.param('id'));
      return c.json({ fire });
    });
  }
}
