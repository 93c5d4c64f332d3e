// POST /api/incidents/:id/silence: "Silence this alert for 1h" over the API, as the web UI and Slack
// offer it. An operator asks; the silence waits at its gate (GET /api/approvals) like any mitigation.
import { createRoute } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import type { Firebreak } from '../firebreak.ts';
import { alertmanagerSettings } from '../integrations/alertmanager/settings.ts';
import { requestSilence } from '../services/silences.ts';
import type { IncidentStore } from '../store/incidents.ts';
import { callerOf, requireCaller } from './auth.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json } from './openapi.ts';
import * as res from './responses.ts';

export function silenceRoutes(deps: { config: Config; fb: Firebreak; incidents: IncidentStore }) {
  const alertmanager = alertmanagerSettings(deps.config);
  const app = apiRoutes();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/silence',
      operationId: 'silenceIncident',
      summary:
        'Ask for a 1h Alertmanager silence of the incident’s alert (a run of firebreak.silence-alert, gated like any mitigation)',
      middleware: [requireCaller(deps.config, 'operate')] as const,
      request: { params: idParam },
      responses: {
        202: json(res.silenceRequested, 'The silence run, new or already going'),
        ...errors(...AUTH_ERRORS, 404, 409),
      },
    }),
    async (c) => {
      const asked = await requestSilence(
        { fb: deps.fb, incidents: deps.incidents, alertmanager },
        c.req.valid('param').id,
        `api:${callerOf(c).identity}`,
      );
      return c.json(asked, 202);
    },
  );
  return app;
}
