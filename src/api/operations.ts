// What the CLI and scripts need beside the resources: who the caller is, and the kill switch. Mounted at
// /api (GET /api/me, GET and POST /api/kill-switch).
import { createRoute, z } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import type { Services } from '../services/index.ts';
import { callerOf, requireCaller } from './auth.ts';
import { AUTH_ERRORS, apiRoutes, errors, json, jsonRequest, withJsonBody } from './openapi.ts';
import * as res from './responses.ts';

export const killSwitchBody = z.object({
  paused: z.boolean(),
  reason: z.string().max(2000).optional(),
});

/** What loopback mode means, in the same words on the banner, the web page, the API and the docs. */
export const LOOPBACK_NOTE =
  'no API_TOKENS: every loopback caller is an unauthenticated admin, and group gates are not enforced for it';

export type { KillSwitchState } from '../services/settings.ts';

export function operationRoutes(deps: { config: Config; services: Services }) {
  const { settings } = deps.services;
  const read = requireCaller(deps.config, 'read');
  const operate = requireCaller(deps.config, 'operate');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      operationId: 'whoAmI',
      summary: 'Who the caller is: identity, role, and how it was recognised (token or loopback)',
      middleware: [read] as const,
      responses: { 200: json(res.caller, 'The caller'), ...errors(...AUTH_ERRORS) },
    }),
    (c) => {
      const caller = callerOf(c);
      return c.json(
        {
          ...caller,
          // Said plainly, because it surprises: with no API_TOKENS every loopback caller is this admin.
          ...(caller.via === 'loopback' ? { note: LOOPBACK_NOTE } : {}),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/kill-switch',
      operationId: 'getKillSwitch',
      summary: 'Whether new mitigations are paused, by whom and since when',
      middleware: [read] as const,
      responses: { 200: json(res.killSwitch, 'The kill switch'), ...errors(...AUTH_ERRORS) },
    }),
    async (c) => c.json(await settings.killSwitch(), 200),
  );

  app.openapi(
    withJsonBody(
      app,
      createRoute({
        method: 'post',
        path: '/kill-switch',
        operationId: 'setKillSwitch',
        summary: 'Pause ({"paused":true}) or resume new mitigations; diagnostics always run',
        middleware: [operate] as const,
        request: { body: jsonRequest(killSwitchBody) },
        responses: {
          200: json(res.killSwitch, 'The kill switch as set'),
          ...errors(...AUTH_ERRORS, 400, 413, 415, 422),
        },
      }),
    ),
    async (c) => {
      const body = c.req.valid('json');
      const by = `api:${callerOf(c).identity}`;
      return c.json(await settings.setKillSwitch(body.paused, by, body.reason), 200);
    },
  );

  return app;
}
