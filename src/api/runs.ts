// /api/runs: list, read, start, cancel, retry, and a run's journal as a live stream. Reads need `read`;
// starting, cancelling and retrying need `operate`.
import { EventEmitter } from 'node:events';
import { createRoute } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import { type RunFailure, runFailure } from '../core/failure.ts';
import type { Logger } from '../core/logger.ts';
import type { RunStatus } from '../core/status.ts';
import type { Firebreak } from '../firebreak.ts';
import { builtinRefusal, isBuiltinRunbook } from '../runbooks/builtin.ts';
import type { Services } from '../services/index.ts';
import type { RunRecord } from '../store/records.ts';
import { journalRow, liveStream } from '../web/live.ts';
import { callerOf, requireCaller } from './auth.ts';
import { HttpError } from './errors.ts';
import { AUTH_ERRORS, apiRoutes, errors, idParam, json, jsonRequest, withJsonBody } from './openapi.ts';
import * as res from './responses.ts';
import { cancelRunBody, runsQuery, startRunBody } from './schemas.ts';

export function runRoutes(deps: {
  config: Config;
  fb: Firebreak;
  services: Services;
  logger: Logger;
  shutdown?: AbortSignal | undefined;
}) {
  const { fb, config } = deps;
  const { runs: service } = deps.services;
  const read = requireCaller(config, 'read');
  const operate = requireCaller(config, 'operate');
  const app = apiRoutes();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listRuns',
      summary: 'List runs',
      middleware: [read] as const,
      request: { query: runsQuery },
      responses: { 200: json(res.runList, 'The runs, newest first'), ...errors(...AUTH_ERRORS, 422) },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const runs = await service.list({
        ...(q.status ? { status: q.status as RunStatus } : {}),
        ...(q.runbook ? { runbookId: q.runbook } : {}),
        ...(q.incident ? { incidentId: q.incident } : {}),
        limit: q.limit,
      });
      return c.json({ runs: runs.map(withFailure) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getRun',
      summary: 'A run with steps, attempts and its journal',
      middleware: [read] as const,
      request: { params: idParam },
      responses: { 200: json(res.runView, 'The run'), ...errors(...AUTH_ERRORS, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const view = await service.view(id);
      if (!view) throw new NotFoundError('run', id);
      return c.json({ ...view, run: withFailure(view.run) }, 200);
    },
  );

  app.openapi(
    withJsonBody(
      app,
      createRoute({
        method: 'post',
        path: '/',
        operationId: 'startRun',
        summary: 'Start a run',
        middleware: [operate] as const,
        request: { body: jsonRequest(startRunBody) },
        responses: {
          201: json(res.runStarted, 'A new run'),
          200: json(res.runStarted, 'The run this idempotencyKey already started'),
          ...errors(...AUTH_ERRORS, 400, 404, 413, 415, 422),
        },
      }),
    ),
    async (c) => {
      const body = c.req.valid('json');
      if (isBuiltinRunbook(body.runbook)) throw new HttpError(403, 'forbidden', builtinRefusal(body.runbook));
      const caller = callerOf(c);
      const { runId, created } = await service.start(body.runbook, body.input, {
        dryRun: body.dryRun,
        idempotencyKey: body.idempotencyKey ?? null,
        incidentId: body.incidentId ?? null,
        requestedBy: `api:${caller.identity}`,
      });
      return created ? c.json({ runId, created }, 201) : c.json({ runId, created }, 200);
    },
  );

  app.openapi(
    withJsonBody(
      app,
      createRoute({
        method: 'post',
        path: '/{id}/cancel',
        operationId: 'cancelRun',
        summary: 'Cancel a run (reverting mitigations unless keepMitigations)',
        middleware: [operate] as const,
        request: { params: idParam, body: jsonRequest(cancelRunBody, false) },
        responses: {
          202: json(res.runCancelled, 'Cancellation requested'),
          ...errors(...AUTH_ERRORS, 400, 404, 413, 415, 422),
        },
      }),
    ),
    async (c) => {
      const body = c.req.valid('json');
      const run = await service.cancel(c.req.valid('param').id, { keepMitigations: body.keepMitigations });
      return c.json({ run }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/retry',
      operationId: 'retryRun',
      summary: 'Resume a failed or compensated run from its first failed step',
      middleware: [operate] as const,
      request: { params: idParam },
      responses: { 202: json(res.runRetried, 'Queued again'), ...errors(...AUTH_ERRORS, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const retried = await service.retry(id);
      if (retried.outcome === 'not_found') throw new NotFoundError('run', id);
      if (retried.outcome === 'not_retryable')
        throw new HttpError(
          409,
          'conflict',
          `run ${id} is ${retried.status}; only failed or compensated runs can be retried`,
        );
      return c.json({ runId: id, status: 'queued' as const }, 202);
    },
  );

  // The API's own stream: bearer tokens (the web page's stream is under /ui with its session), and the
  // event data goes along, so a client can say more than the page's one-line detail.
  const live = {
    store: fb.store,
    events: fb.engine.events,
    pokes: new EventEmitter().setMaxListeners(0),
    shutdown: deps.shutdown,
    logger: deps.logger,
    row: (e: Parameters<typeof journalRow>[0]) => ({ ...journalRow(e), data: e.data }),
  };
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/events',
      operationId: 'streamRunEvents',
      summary:
        'The run journal as server-sent events: `state` (steps), `journal` (one event, with its data), `end`',
      middleware: [read] as const,
      request: { params: idParam },
      responses: {
        200: { description: 'A text/event-stream that ends with the run' },
        ...errors(...AUTH_ERRORS, 404),
      },
    }),
    async (c) => {
      const run = await service.get(c.req.valid('param').id);
      if (!run) throw new NotFoundError('run', c.req.valid('param').id);
      return liveStream(c, live, { runId: run.id }, async () => [run.id]);
    },
  );

  return app;
}

/** A run as the API shows it: with `failure`, why it did not succeed (the failing step, the innermost cause). */
export function withFailure(run: RunRecord): RunRecord & { failure: RunFailure | null } {
  return { ...run, failure: runFailure(run.error) };
}
