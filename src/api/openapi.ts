// /openapi.json, generated from the same zod schemas that validate the requests.
import { z } from 'zod';
import { cancelRunBody, errorBody, incidentsQuery, runsQuery, startRunBody } from './schemas.ts';

interface Op {
  method: 'get' | 'post' | 'put';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  ok: number;
}

const ops: Op[] = [
  {
    method: 'post',
    path: '/webhooks/{source}',
    summary: 'Receive an alert notification (alertmanager, grafana, pagerduty, datadog, generic)',
    ok: 202,
  },
  { method: 'get', path: '/api/incidents', summary: 'List incidents', query: incidentsQuery, ok: 200 },
  {
    method: 'get',
    path: '/api/incidents/{id}',
    summary: 'An incident with alerts, runs, timeline and evidence',
    ok: 200,
  },
  { method: 'get', path: '/api/runs', summary: 'List runs', query: runsQuery, ok: 200 },
  { method: 'get', path: '/api/runs/{id}', summary: 'A run with steps, attempts and its journal', ok: 200 },
  { method: 'post', path: '/api/runs', summary: 'Start a run', body: startRunBody, ok: 201 },
  {
    method: 'post',
    path: '/api/runs/{id}/cancel',
    summary: 'Cancel a run (reverting mitigations unless keepMitigations)',
    body: cancelRunBody,
    ok: 202,
  },
  {
    method: 'post',
    path: '/api/runs/{id}/retry',
    summary: 'Resume a failed or compensated run from its first failed step',
    ok: 202,
  },
  { method: 'get', path: '/api/runbooks', summary: 'List runbooks', ok: 200 },
  { method: 'get', path: '/api/runbooks/{id}', summary: 'A runbook with its graph and recent runs', ok: 200 },
  {
    method: 'get',
    path: '/api/dead-letters',
    summary: 'Payloads that could not be routed, with reasons',
    ok: 200,
  },
  { method: 'post', path: '/api/dead-letters/{id}/replay', summary: 'Ingest a dead letter again', ok: 200 },
  { method: 'get', path: '/healthz', summary: 'The process is alive', ok: 200 },
  { method: 'get', path: '/readyz', summary: 'The database answers and the engine works', ok: 200 },
];

export function extraOps(more: Op[]): void {
  ops.push(...more);
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (op.query) {
      for (const [name, schema] of Object.entries(op.query.shape)) {
        params.push({
          name,
          in: 'query',
          required: false,
          schema: z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as never,
        });
      }
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(op.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        [op.ok]: { description: 'OK' },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: z.toJSONSchema(errorBody) } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'firebreak', version: '0.1.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
