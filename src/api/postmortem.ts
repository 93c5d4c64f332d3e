// Postmortems and evidence over HTTP: GET (Markdown, or ?format=json), PUT an edit, POST regenerate.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import type { SqlDriver } from '../db/driver.ts';
import type { Postmortems } from '../services/postmortem/postmortems.ts';
import { toEvidence } from '../store/rows.ts';
import { callerOf, requireCaller } from './auth.ts';
import { assertWithinLimit } from './body-limit.ts';
import { HttpError } from './errors.ts';
import { extraOps } from './openapi.ts';
import { query } from './validate.ts';

const formatQuery = z.object({ format: z.enum(['markdown', 'json']).default('markdown') });
const regenerateQuery = z.object({ force: z.enum(['true', 'false']).default('false') });

extraOps([
  {
    method: 'get',
    path: '/api/incidents/{id}/postmortem',
    summary: 'The postmortem draft (Markdown; ?format=json)',
    query: formatQuery,
    ok: 200,
  },
  {
    method: 'put',
    path: '/api/incidents/{id}/postmortem',
    summary: 'Save an edited postmortem (text/markdown body)',
    ok: 200,
  },
  {
    method: 'post',
    path: '/api/incidents/{id}/postmortem/regenerate',
    summary: 'Rebuild the draft (?force=true drops a saved edit)',
    query: regenerateQuery,
    ok: 200,
  },
  {
    method: 'get',
    path: '/api/evidence/{id}',
    summary: 'One evidence item; images are served as images',
    ok: 200,
  },
]);

/** An edited postmortem is a document people read: 256 KB is far beyond any real one. */
export const POSTMORTEM_LIMIT_BYTES = 256 * 1024;

export function mountPostmortems(
  app: Hono,
  deps: { config: Config; postmortems: Postmortems; driver: SqlDriver },
): void {
  const read = requireCaller(deps.config, 'read');
  const operate = requireCaller(deps.config, 'operate');

  app.get('/api/incidents/:id/postmortem', read, async (c) => {
    const { format } = query(c, formatQuery);
    const view = await deps.postmortems.get(c.req.param('id'));
    if (format === 'json') return c.json({ ...view.draft, edited: view.edited, markdown: view.markdown });
    return c.body(view.markdown, 200, { 'content-type': 'text/markdown; charset=utf-8' });
  });

  app.put('/api/incidents/:id/postmortem', operate, async (c) => {
    const markdown = await c.req.text();
    assertWithinLimit(markdown, POSTMORTEM_LIMIT_BYTES);
    if (markdown.trim() === '') throw new HttpError(422, 'validation', 'the edited postmortem is empty');
    const view = await deps.postmortems.saveEdit(c.req.param('id'), markdown, callerOf(c).identity);
    return c.json({ incidentId: view.incidentId, edited: view.edited });
  });

  app.post('/api/incidents/:id/postmortem/regenerate', operate, async (c) => {
    const { force } = query(c, regenerateQuery);
    const view = await deps.postmortems.regenerate(c.req.param('id'), { force: force === 'true' });
    return c.json({ incidentId: view.incidentId, edited: view.edited, markdown: view.markdown });
  });

  app.get('/api/evidence/:id', read, async (c) => {
    const id = c.req.param('id');
    const rows = /^[0-9a-f-]{36}$/i.test(id)
      ? await deps.driver.query('select * from evidence where id = $1', [id])
      : [];
    if (!rows[0]) throw new NotFoundError('evidence', id);
    const e = toEvidence(rows[0]);
    const img = e.content as { mime?: string; base64?: string } | null;
    if (e.kind === 'image' && img?.base64 && /^image\/(png|jpeg)$/.test(img.mime ?? '')) {
      return c.body(Buffer.from(img.base64, 'base64'), 200, { 'content-type': img.mime! });
    }
    return c.json(e);
  });
}
