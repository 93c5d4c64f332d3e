// /api/incidents: the list (drills only when asked for) and one incident with its alerts, runs, timeline
// and evidence. Postmortems (postmortem.ts) and silences (silence.ts) are mounted under the same prefix.
import { createRoute } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import type { Services } from '../services/index.ts';
import { requireCaller } from './auth.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json } from './openapi.ts';
import * as res from './responses.ts';
import { withFailure } from './runs.ts';
import { incidentsQuery } from './schemas.ts';

export function incidentRoutes(deps: { config: Config; services: Services }) {
  const { incidents } = deps.services;
  const read = requireCaller(deps.config, 'read');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listIncidents',
      summary: 'List incidents',
      middleware: [read] as const,
      request: { query: incidentsQuery },
      responses: {
        200: json(res.incidentList, 'The incidents, newest first'),
        ...errors(...AUTH_ERRORS, 422),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const list = await incidents.list({
        ...(q.status ? { status: q.status } : {}),
        // Drills (game days) stay out of the incident list unless asked for: ?drill=true lists them.
        drill: q.drill === 'true',
        limit: q.limit,
      });
      return c.json({ incidents: list }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getIncident',
      summary: 'An incident with alerts, runs, timeline and evidence',
      middleware: [read] as const,
      request: { params: idParam },
      responses: { 200: json(res.incidentView, 'The incident'), ...errors(...AUTH_ERRORS, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { incident, alerts, timeline, evidence, runs } = await incidents.view(id);
      return c.json({ incident, alerts, runs: runs.map(withFailure), timeline, evidence }, 200);
    },
  );

  return app;
}
