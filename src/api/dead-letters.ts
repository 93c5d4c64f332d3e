// /api/dead-letters: payloads that could not be routed, with why, and ingesting one again.
import { createRoute } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import type { Services } from '../services/index.ts';
import { requireCaller } from './auth.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json } from './openapi.ts';
import * as res from './responses.ts';

export function deadLetterRoutes(deps: { config: Config; services: Services }) {
  const { deadLetters } = deps.services;
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listDeadLetters',
      summary: 'Payloads that could not be routed, with reasons',
      middleware: [requireCaller(deps.config, 'read')] as const,
      responses: { 200: json(res.deadLetterList, 'The dead letters'), ...errors(...AUTH_ERRORS) },
    }),
    async (c) => c.json({ deadLetters: await deadLetters.list() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/replay',
      operationId: 'replayDeadLetter',
      summary: 'Ingest a dead letter again',
      middleware: [requireCaller(deps.config, 'operate')] as const,
      request: { params: idParam },
      responses: {
        200: json(res.deadLetterReplayed, 'What ingesting it came to'),
        ...errors(...AUTH_ERRORS, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const result = await deadLetters.replay(id);
      return c.json({ deadLetterId: id, result }, 200);
    },
  );

  return app;
}
