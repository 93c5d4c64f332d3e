// The routes a probe or a client reads without a token: /healthz, /readyz and /openapi.json.

import { createRoute, z } from '@hono/zod-openapi';
import type { Firebreak } from '../firebreak.ts';
import { readiness } from '../observability/readiness.ts';
import { databaseOf } from '../store/database.ts';
import { apiRoutes, errors, json } from './openapi.ts';
import * as res from './responses.ts';

export function healthRoutes(deps: {
  fb: Firebreak;
  draining?: (() => boolean) | undefined;
  warning: string | null;
  document: () => Record<string, unknown>;
}) {
  const app = apiRoutes();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'The process is alive',
      security: [],
      responses: { 200: json(res.health, 'Alive'), ...errors() },
    }),
    (c) => c.json({ ok: true as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'readiness',
      summary: 'The database answers and the engine works',
      security: [],
      responses: {
        200: json(res.readiness, 'Ready: this worker and its active runs'),
        503: json(res.readiness, 'Not ready: shutting down, or the database does not answer'),
        ...errors(),
      },
    }),
    async (c) => {
      const ready = await readiness({
        driver: databaseOf(deps.fb.store),
        engine: deps.fb.engine,
        draining: deps.draining ?? (() => false),
      });
      if (ready.status === 503) return c.json(ready.body, 503);
      return c.json(deps.warning ? { ...ready.body, warnings: [deps.warning] } : ready.body, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openApiDocument',
      summary: 'This document',
      security: [],
      responses: { 200: json(z.looseObject({ openapi: z.string() }), 'OpenAPI 3.1'), ...errors() },
    }),
    (c) => c.json(deps.document() as { openapi: string }, 200),
  );
  return app;
}
