// Game days through the API: the schedules with their next due time, last fire and last scorecard, and
// starting a drill now.
import type { Hono } from 'hono';
import type { Config } from '../config/config.ts';
import type { GameDayScheduler } from '../gamedays/scheduler.ts';
import { callerOf, requireCaller } from './auth.ts';
import { extraOps } from './openapi.ts';

extraOps([
  {
    method: 'get',
    path: '/api/gamedays',
    summary: 'Game-day schedules with next due time, last fire and last scorecard',
    ok: 200,
  },
  {
    method: 'post',
    path: '/api/gamedays/{id}/run',
    summary: 'Start a drill of a game day now (id: <runbook>:<game day>)',
    ok: 201,
  },
]);

export function mountGameDays(app: Hono, deps: { config: Config; gamedays: GameDayScheduler }): void {
  const read = requireCaller(deps.config, 'read');
  const operate = requireCaller(deps.config, 'operate');

  app.get('/api/gamedays', read, async (c) => c.json({ gamedays: await deps.gamedays.list() }));

  app.post('/api/gamedays/:id/run', operate, async (c) => {
    const caller = callerOf(c);
    const fired = await deps.gamedays.runNow(c.req.param('id'), `api:${caller.identity}`);
    return c.json(fired, 201);
  });
}
