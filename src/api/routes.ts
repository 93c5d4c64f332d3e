// The JSON API under /api. Reads need `read`; starting, cancelling and retrying runs and replaying dead
// letters need `operate`. Approval decisions are mounted by the approvals module.
import type { Hono } from 'hono';
import type { Config } from '../config/config.ts';
import { NotFoundError } from '../core/errors.ts';
import { type RunFailure, runFailure } from '../core/failure.ts';
import type { RunStatus } from '../core/status.ts';
import type { Firebreak } from '../firebreak.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { replayDeadLetter } from '../ingest/replay.ts';
import { builtinRefusal, isBuiltinRunbook } from '../runbooks/builtin.ts';
import { mermaid } from '../runbooks/mermaid.ts';
import type { IncidentStore } from '../store/incidents.ts';
import type { RunRecord } from '../store/records.ts';
import { callerOf, requireCaller } from './auth.ts';
import { HttpError } from './errors.ts';
import { cancelRunBody, incidentsQuery, runsQuery, startRunBody } from './schemas.ts';
import { jsonBody, query } from './validate.ts';

export interface ApiDeps {
  config: Config;
  fb: Firebreak;
  incidents: IncidentStore;
  ingestor: Ingestor;
}

export function mountApi(app: Hono, deps: ApiDeps): void {
  const { fb, incidents, config } = deps;
  const read = requireCaller(config, 'read');
  const operate = requireCaller(config, 'operate');

  app.get('/api/incidents', read, async (c) => {
    const q = query(c, incidentsQuery);
    const list = await incidents.list({
      ...(q.status ? { status: q.status } : {}),
      // Drills (game days) stay out of the incident list unless asked for: ?drill=true lists them.
      drill: q.drill === 'true',
      limit: q.limit,
    });
    return c.json({ incidents: list });
  });

  app.get('/api/incidents/:id', read, async (c) => {
    const incident = await incidents.get(c.req.param('id'));
    if (!incident) throw new NotFoundError('incident', c.req.param('id'));
    const [alerts, timeline, evidence, runs] = await Promise.all([
      incidents.alerts(incident.id),
      incidents.timeline(incident.id),
      fb.store.listEvidence({ incidentId: incident.id }),
      fb.store.listRuns({ incidentId: incident.id }),
    ]);
    return c.json({ incident, alerts, runs: runs.map(withFailure), timeline, evidence });
  });

  app.get('/api/runs', read, async (c) => {
    const q = query(c, runsQuery);
    const runs = await fb.store.listRuns({
      ...(q.status ? { status: q.status as RunStatus } : {}),
      ...(q.runbook ? { runbookId: q.runbook } : {}),
      ...(q.incident ? { incidentId: q.incident } : {}),
      limit: q.limit,
    });
    return c.json({ runs: runs.map(withFailure) });
  });

  app.get('/api/runs/:id', read, async (c) => {
    const view = await fb.view(c.req.param('id'));
    if (!view) throw new NotFoundError('run', c.req.param('id'));
    return c.json({ ...view, run: withFailure(view.run) });
  });

  app.post('/api/runs', operate, async (c) => {
    const body = await jsonBody(c, startRunBody);
    if (isBuiltinRunbook(body.runbook)) throw new HttpError(403, 'forbidden', builtinRefusal(body.runbook));
    const caller = callerOf(c);
    const { runId, created } = await fb.start(body.runbook, body.input, {
      dryRun: body.dryRun,
      idempotencyKey: body.idempotencyKey ?? null,
      incidentId: body.incidentId ?? null,
      requestedBy: `api:${caller.identity}`,
    });
    return c.json({ runId, created }, created ? 201 : 200);
  });

  app.post('/api/runs/:id/cancel', operate, async (c) => {
    const body = await jsonBody(c, cancelRunBody);
    const run = await fb.cancel(c.req.param('id'), { keepMitigations: body.keepMitigations });
    return c.json({ run }, 202);
  });

  app.post('/api/runs/:id/retry', operate, async (c) => {
    const id = c.req.param('id');
    const { previous, retried } = await fb.store.retryRun(id, fb.engine.clock.now());
    if (previous === null) throw new NotFoundError('run', id);
    if (!retried)
      throw new HttpError(
        409,
        'conflict',
        `run ${id} is ${previous}; only failed or compensated runs can be retried`,
      );
    fb.engine.poke();
    return c.json({ runId: id, status: 'queued' }, 202);
  });

  app.get('/api/runbooks', read, (c) =>
    c.json({
      runbooks: fb.registry.list().map((rb) => ({
        id: rb.id,
        title: rb.runbook.options.title,
        version: rb.version,
        steps: rb.steps.map((s) => ({ name: s.name, kind: s.kind, needs: s.needs })),
        triggers: (rb.runbook.options.triggers ?? []).map(describeTrigger),
        gameDays: rb.runbook.options.gameDays ?? [],
      })),
      failed: fb.loadReport.failed,
    }),
  );

  app.get('/api/runbooks/:id', read, async (c) => {
    const rb = fb.registry.get(c.req.param('id'));
    if (!rb) throw new NotFoundError('runbook', c.req.param('id'));
    const recent = await fb.store.listRuns({ runbookId: rb.id, limit: 20 });
    return c.json({
      id: rb.id,
      title: rb.runbook.options.title,
      description: rb.runbook.options.description ?? null,
      version: rb.version,
      source: rb.source,
      steps: rb.steps.map((s) => ({ name: s.name, kind: s.kind, needs: s.needs })),
      triggers: (rb.runbook.options.triggers ?? []).map(describeTrigger),
      gameDays: rb.runbook.options.gameDays ?? [],
      graph: mermaid(rb),
      recentRuns: recent,
    });
  });

  app.get('/api/dead-letters', read, async (c) => c.json({ deadLetters: await incidents.deadLetters() }));

  app.post('/api/dead-letters/:id/replay', operate, async (c) => {
    const id = c.req.param('id');
    const result = await replayDeadLetter(deps, id, () => fb.engine.clock.now());
    return c.json({ deadLetterId: id, result });
  });
}

/** A run as the API shows it: with `failure`, why it did not succeed (the failing step, the innermost cause). */
function withFailure(run: RunRecord): RunRecord & { failure: RunFailure | null } {
  return { ...run, failure: runFailure(run.error) };
}

function describeTrigger(t: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(t).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? `=${v}`
        : v instanceof RegExp
          ? `=~${v.source}`
          : `${(v as { op: string }).op}${(v as { value: string }).value}`,
    ]),
  );
}
