// /api/gamedays: the schedules with their next due time, last fire and last scorecard, starting a drill
// now, and one drill's state.
import { createRoute, z } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import type { GameDays } from '../services/gamedays.ts';
import { callerOf, requireCaller } from './auth.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json } from './openapi.ts';
import * as res from './responses.ts';

const scheduleParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'checkout:weekly' }),
});

export function gameDayRoutes(deps: { config: Config; gameDays: GameDays }) {
  const read = requireCaller(deps.config, 'read');
  const operate = requireCaller(deps.config, 'operate');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listGameDays',
      summary: 'Game-day schedules with next due time, last fire and last scorecard',
      middleware: [read] as const,
      responses: { 200: json(res.gameDayList, 'The schedules'), ...errors(...AUTH_ERRORS) },
    }),
    async (c) => c.json({ gamedays: await deps.gameDays.list() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/run',
      operationId: 'runGameDay',
      summary: 'Start a drill of a game day now (id: <runbook>:<game day>)',
      middleware: [operate] as const,
      request: { params: scheduleParam },
      responses: { 201: json(res.gameDayFired, 'The drill started'), ...errors(...AUTH_ERRORS, 404) },
    }),
    async (c) => {
      const caller = callerOf(c);
      const fired = await deps.gameDays.fire(c.req.valid('param').id, `api:${caller.identity}`);
      return c.json(fired, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/fires/{id}',
      operationId: 'getGameDayFire',
      summary: 'One drill: its incident, run, and scorecard once scored',
      middleware: [read] as const,
      request: { params: idParam },
      responses: { 200: json(res.gameDayFire, 'The drill'), ...errors(...AUTH_ERRORS, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const fire = await deps.gameDays.drill(id);
      if (!fire) throw new NotFoundError('game day fire', id);
      return c.json({ fire }, 200);
    },
  );

  return app;
}
