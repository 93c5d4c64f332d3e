// GET /openapi.json is generated from the routes: it is a valid OpenAPI 3.1 document, and every route
// mounted under /api and /webhooks (and the probes) is in it with an operationId.
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type TestServer, testServer } from '../support/server.ts';

type Operation = { operationId?: string; responses: Record<string, unknown> };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

const documented = (path: string) => path.startsWith('/api/') || path.startsWith('/webhooks/');

describe('/openapi.json', () => {
  let srv: TestServer;
  let doc: Doc;
  beforeAll(async () => {
    srv = await testServer();
    const r = await srv.get<Doc>('/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
  });
  afterAll(async () => {
    await srv?.close();
  });

  test('validates as an OpenAPI document', async () => {
    // validate() dereferences in place: give it a copy.
    const api = structuredClone(doc) as unknown as Parameters<typeof SwaggerParser.validate>[0];
    await expect(SwaggerParser.validate(api)).resolves.toBeTruthy();
    expect(doc.openapi).toBe('3.1.0');
  });

  test('every mounted API route is in it, with an operationId', () => {
    const mounted = srv.server.app.routes
      .filter((r) => r.method !== 'ALL')
      .filter((r) => documented(r.path) || ['/healthz', '/readyz', '/openapi.json'].includes(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replaceAll(/:(\w+)/g, '{$1}')}`);
    expect(mounted.length).toBeGreaterThan(25);
    const inDoc = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    expect(mounted.filter((route) => !inDoc.has(route))).toEqual([]);
    // …and nothing in it that is not mounted.
    expect([...inDoc].filter((route) => !mounted.includes(route))).toEqual([]);
  });

  test('operationIds are present and unique', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('every operation declares a success response and the error shape', () => {
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        expect(
          Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
          op.operationId,
        ).toBe(true);
        expect(op.responses.default, op.operationId).toMatchObject({
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        });
      }
    }
  });
});
