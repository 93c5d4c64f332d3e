// Postmortems and evidence over HTTP: GET (Markdown, or ?format=json), PUT an edit, POST regenerate
// (mounted under /api/incidents), and GET /api/evidence/:id.
import { createRoute, z } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Services } from '../services/index.ts';
import { callerOf, requireCaller } from './auth.ts';
import { assertWithinLimit } from './body-limit.ts';
import { HttpError } from './errors.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json } from './openapi.ts';
import * as res from './responses.ts';

const formatQuery = z.object({ format: z.enum(['markdown', 'json']).default('markdown') });
const regenerateQuery = z.object({ force: z.enum(['true', 'false']).default('false') });

/** An edited postmortem is a document people read: 256 KB is far beyond any real one. */
export const POSTMORTEM_LIMIT_BYTES = 256 * 1024;

const markdown = (description: string) => ({
  description,
  content: { 'text/markdown': { schema: z.string() } },
});

export function postmortemRoutes(deps: { config: Config; services: Services }) {
  const { incidents } = deps.services;
  const read = requireCaller(deps.config, 'read');
  const operate = requireCaller(deps.config, 'operate');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/postmortem',
      operationId: 'getPostmortem',
      summary: 'The postmortem draft (Markdown; ?format=json)',
      middleware: [read] as const,
      request: { params: idParam, query: formatQuery },
      responses: {
        200: {
          description: 'The postmortem, as Markdown or (?format=json) the draft with its Markdown',
          content: {
            'text/markdown': { schema: z.string() },
            'application/json': { schema: res.postmortemJson },
          },
        },
        ...errors(...AUTH_ERRORS, 404, 422),
      },
    }),
    async (c) => {
      const { format } = c.req.valid('query');
      const view = await incidents.postmortem(c.req.valid('param').id);
      if (format === 'json')
        return c.json({ ...view.draft, edited: view.edited, markdown: view.markdown }, 200);
      return c.body(view.markdown, 200, { 'content-type': 'text/markdown; charset=utf-8' });
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}/postmortem',
      operationId: 'savePostmortem',
      summary: 'Save an edited postmortem (text/markdown body)',
      middleware: [operate] as const,
      request: { params: idParam, body: { required: true, ...markdown('The edited postmortem') } },
      responses: {
        200: json(res.postmortemSaved, 'Saved'),
        ...errors(...AUTH_ERRORS, 404, 413, 422),
      },
    }),
    async (c) => {
      const markdown = await c.req.text();
      assertWithinLimit(markdown, POSTMORTEM_LIMIT_BYTES);
      if (markdown.trim() === '') throw new HttpError(422, 'validation', 'the edited postmortem is empty');
      const view = await incidents.savePostmortem(c.req.valid('param').id, markdown, callerOf(c).identity);
      return c.json({ incidentId: view.incidentId, edited: view.edited }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/postmortem/regenerate',
      operationId: 'regeneratePostmortem',
      summary: 'Rebuild the draft (?force=true drops a saved edit)',
      middleware: [operate] as const,
      request: { params: idParam, query: regenerateQuery },
      responses: {
        200: json(res.postmortemRegenerated, 'The new draft'),
        ...errors(...AUTH_ERRORS, 404, 409, 422),
      },
    }),
    async (c) => {
      const { force } = c.req.valid('query');
      const view = await incidents.regeneratePostmortem(c.req.valid('param').id, { force: force === 'true' });
      return c.json({ incidentId: view.incidentId, edited: view.edited, markdown: view.markdown }, 200);
    },
  );

  return app;
}

export function evidenceRoutes(deps: { config: Config; services: Services }) {
  const app = apiRoutes();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getEvidence',
      summary: 'One evidence item; images are served as images',
      middleware: [requireCaller(deps.config, 'read')] as const,
      request: { params: idParam },
      responses: {
        200: {
          description: 'The evidence item, or the image itself',
          content: {
            'application/json': { schema: res.evidence },
            'image/png': { schema: z.string().openapi({ format: 'binary' }) },
            'image/jpeg': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
        ...errors(...AUTH_ERRORS, 404),
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const e = await deps.services.incidents.evidenceItem(id);
      if (!e) throw new NotFoundError('evidence', id);
      const img = e.content as { mime?: string; base64?: string } | null;
      if (e.kind === 'image' && img?.base64 && /^image\/(png|jpeg)$/.test(img.mime ?? '')) {
        return c.body(Buffer.from(img.base64, 'base64'), 200, { 'content-type': img.mime! });
      }
      return c.json(e, 200);
    },
  );
  return app;
}
