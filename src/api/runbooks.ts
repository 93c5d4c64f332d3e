// /api/runbooks: the runbooks this server loaded (and the files that failed to load), and one runbook
// with its graph and recent runs.
import { createRoute } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import { triggerJson } from '../dsl/triggers.ts';
import type { Firebreak } from '../firebreak.ts';
import { mermaid } from '../runbooks/mermaid.ts';
import type { Services } from '../services/index.ts';
import { requireCaller } from './auth.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json } from './openapi.ts';
import * as res from './responses.ts';

export function runbookRoutes(deps: { config: Config; fb: Firebreak; services: Services }) {
  const { fb } = deps;
  const read = requireCaller(deps.config, 'read');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listRunbooks',
      summary: 'List runbooks',
      middleware: [read] as const,
      responses: { 200: json(res.runbookList, 'The loaded runbooks'), ...errors(...AUTH_ERRORS) },
    }),
    (c) =>
      c.json(
        {
          runbooks: fb.registry.list().map((rb) => ({
            id: rb.id,
            title: rb.runbook.options.title,
            version: rb.version,
            steps: rb.steps.map((s) => ({ name: s.name, kind: s.kind, needs: s.needs })),
            triggers: (rb.runbook.options.triggers ?? []).map(triggerJson),
            gameDays: rb.runbook.options.gameDays ?? [],
          })),
          failed: fb.loadReport.failed,
        },
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getRunbook',
      summary: 'A runbook with its graph and recent runs',
      middleware: [read] as const,
      request: { params: idParam },
      responses: { 200: json(res.runbookView, 'The runbook'), ...errors(...AUTH_ERRORS, 404) },
    }),
    async (c) => {
      const rb = fb.registry.get(c.req.valid('param').id);
      if (!rb) throw new NotFoundError('runbook', c.req.valid('param').id);
      const recent = await deps.services.runs.list({ runbookId: rb.id, limit: 20 });
      return c.json(
        {
          id: rb.id,
          title: rb.runbook.options.title,
          description: rb.runbook.options.description ?? null,
          version: rb.version,
          source: rb.source,
          steps: rb.steps.map((s) => ({ name: s.name, kind: s.kind, needs: s.needs })),
          triggers: (rb.runbook.options.triggers ?? []).map(triggerJson),
          gameDays: rb.runbook.options.gameDays ?? [],
          graph: mermaid(rb),
          recentRuns: recent,
        },
        200,
      );
    },
  );

  return app;
}
