// POST /api/incidents/:id/silence: "Silence this alert for 1h" over the API, as the web UI and Slack
// offer it. An operator asks; the silence waits at its gate (GET /api/approvals) like any mitigation.
import type { Hono } from 'hono';
import type { Config } from '../config/config.ts';
import type { Firebreak } from '../firebreak.ts';
import { alertmanagerSettings } from '../integrations/alertmanager/settings.ts';
import { requestSilence } from '../services/silences.ts';
import type { IncidentStore } from '../store/incidents.ts';
import { callerOf, requireCaller } from './auth.ts';
import { extraOps } from './openapi.ts';

extraOps([
  {
    method: 'post',
    path: '/api/incidents/{id}/silence',
    summary:
      'Ask for a 1h Alertmanager silence of the incident’s alert (a run of firebreak.silence-alert, gated like any mitigation)',
    ok: 202,
  },
]);

export function mountSilences(
  app: Hono,
  deps: { config: Config; fb: Firebreak; incidents: IncidentStore },
): void {
  const alertmanager = alertmanagerSettings(deps.config);
  app.post('/api/incidents/:id/silence', requireCaller(deps.config, 'operate'), async (c) => {
    const asked = await requestSilence(
      { fb: deps.fb, incidents: deps.incidents, alertmanager },
      c.req.param('id'),
      `api:${callerOf(c).identity}`,
    );
    return c.json(asked, 202);
  });
}
