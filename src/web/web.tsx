// The web UI, server-rendered with hono/jsx and mounted at `/` beside the API: incidents, one incident
// with live run graphs (SSE), runbooks, dead letters and the kill switch. Reads need `read`; what a form
// changes needs the API's grant for it (actions.tsx). See session.ts for sign-in and CSRF.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import { NotFoundError } from '../core/errors.ts';
import type { GameDayScheduler } from '../gamedays/scheduler.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { silenceTargetOf } from '../integrations/alertmanager/request.ts';
import { alertmanagerSettings } from '../integrations/alertmanager/settings.ts';
import type { Approvals } from '../services/approvals/decide.ts';
import { createServices, type Services } from '../services/index.ts';
import type { Postmortems } from '../services/postmortem/postmortems.ts';
import type { IncidentStore } from '../store/incidents.ts';
import { flashOf, mountActions } from './actions.tsx';
import { approvalsData, incidentData, runData } from './data.ts';
import { localPath } from './format.ts';
import { type GuardDeps, guard, render, secure } from './guard.tsx';
import { liveStream } from './live.ts';
import { Approvals as ApprovalsBlock } from './pages/approvals.tsx';
import { DeadLettersPage } from './pages/dead-letters.tsx';
import { IncidentPage } from './pages/incident.tsx';
import { IncidentsPage } from './pages/incidents.tsx';
import { RunPage } from './pages/run.tsx';
import { type GameDayRow, RunbookPage, RunbooksPage } from './pages/runbooks.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { identify, sessionsOf } from './session.ts';
import { CSS } from './style.ts';

export interface WebDeps extends GuardDeps {
  incidents: IncidentStore;
  ingestor: Ingestor;
  approvals: Approvals;
  postmortems: Postmortems;
  gamedays?: GameDayScheduler | undefined;
  /** Aborted when the server closes, so open live streams end. */
  shutdown?: AbortSignal | undefined;
  /** The services the API uses too, when the server built them; else built here from the above. */
  services?: WebServices | undefined;
}

/** What the pages and forms use: the services, built once from the wiring the server hands over. */
export type WebServices = Services;

export function webServices(deps: WebDeps): WebServices {
  return createServices(deps);
}

const CLIENT_JS = readFileSync(new URL('./client.js', import.meta.url), 'utf8');

export function mountWeb(app: Hono, wiring: WebDeps): void {
  const services = wiring.services ?? webServices(wiring);
  const deps = { ...wiring, ...services };
  const pokes = new EventEmitter().setMaxListeners(0);
  const silencesOn = alertmanagerSettings(deps.config) !== null;
  const live = {
    store: deps.fb.store,
    events: deps.fb.engine.events,
    pokes,
    shutdown: deps.shutdown,
    logger: deps.logger,
  };
  const page = (need: 'read', fn: Parameters<typeof guard>[2]) => guard(deps, need, fn);
  const fragment = (fn: Parameters<typeof guard>[2]) => guard(deps, 'read', fn, 'fragment');

  app.get('/ui/style.css', (c) =>
    c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }),
  );
  app.get('/ui/app.js', (c) =>
    c.body(CLIENT_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'max-age=300',
    }),
  );

  app.get('/sign-in', async (c) => {
    secure(c);
    const now = deps.fb.engine.clock.now();
    const who = await identify(c, deps.config, sessionsOf(deps.fb), now);
    const next = localPath(c.req.query('next'));
    if (who.caller) return c.redirect(next, 303);
    const mode = who.why === 'loopback_only' ? 'loopback_only' : 'tokens';
    return render(
      deps,
      c,
      { title: 'Sign in', caller: null, flash: flashOf(c.req.query('done')) },
      <SignInPage next={next} mode={mode} />,
    );
  });

  app.get(
    '/',
    page('read', async ({ c, caller, can, now }) => {
      const status = c.req.query('status');
      const drill = c.req.query('drill') === 'true';
      const incidents = await services.incidents.list({
        ...(status === 'firing' || status === 'resolved' ? { status } : {}),
        ...(drill ? { drill: true } : {}),
        limit: 200,
      });
      const filter = drill ? 'drills' : status === 'firing' || status === 'resolved' ? status : 'all';
      const paused = await deps.fb.engine.isPaused();
      const flash = flashOf(c.req.query('done'));
      return render(
        deps,
        c,
        { title: 'Incidents', caller, flash, paused },
        <IncidentsPage incidents={incidents} filter={filter} now={now} paused={paused} can={can} />,
      );
    }),
  );

  app.get(
    '/incidents/:id',
    page('read', async ({ c, caller, can, now }) => {
      const data = await incidentData(deps, c.req.param('id')!);
      const flash = flashOf(c.req.query('done'));
      return render(
        deps,
        c,
        { title: data.incident.title, caller, flash },
        <IncidentPage
          data={data}
          can={can}
          now={now}
          silence={silenceTargetOf(silencesOn, data.incident, data.alerts)}
        />,
      );
    }),
  );

  app.get(
    '/runs/:id',
    page('read', async ({ c, caller, can }) => {
      const run = await deps.runs.get(c.req.param('id')!);
      if (!run) throw new NotFoundError('run', c.req.param('id')!);
      if (run.incidentId) return c.redirect(`/incidents/${run.incidentId}#run-${run.id}`, 303);
      const events = await deps.runs.events(run.id);
      const data = await runData(deps.fb, run, events);
      const flash = flashOf(c.req.query('done'));
      return render(
        deps,
        c,
        { title: data.title, caller, flash },
        <RunPage data={data} events={events} can={can} />,
      );
    }),
  );

  app.get(
    '/runbooks',
    page('read', async ({ c, caller }) =>
      render(
        deps,
        c,
        { title: 'Runbooks', caller },
        <RunbooksPage runbooks={deps.fb.registry.list()} failed={deps.fb.loadReport.failed} />,
      ),
    ),
  );

  app.get(
    '/runbooks/:id',
    page('read', async ({ c, caller, can }) => {
      const rb = deps.fb.registry.get(c.req.param('id')!);
      if (!rb) throw new NotFoundError('runbook', c.req.param('id')!);
      const [runs, gameDays] = await Promise.all([
        deps.runs.list({ runbookId: rb.id, limit: 20 }),
        gameDayRows(deps, rb.id),
      ]);
      const flash = flashOf(c.req.query('done'));
      return render(
        deps,
        c,
        { title: rb.runbook.options.title, caller, flash },
        <RunbookPage rb={rb} runs={runs} gameDays={gameDays} can={can} />,
      );
    }),
  );

  app.get(
    '/dead-letters',
    page('read', async ({ c, caller, can }) => {
      const letters = await services.deadLetters.list(200);
      const flash = flashOf(c.req.query('done'));
      return render(
        deps,
        c,
        { title: 'Dead letters', caller, flash },
        <DeadLettersPage letters={letters} can={can} />,
      );
    }),
  );

  app.get(
    '/ui/incidents/:id/approvals',
    fragment(async ({ c, can, now }) => {
      const id = c.req.param('id')!;
      const runs = await approvalsData(deps, id);
      const html = (
        <ApprovalsBlock
          runs={runs}
          can={can}
          now={now}
          returnTo={`/incidents/${id}`}
          src={`/ui/incidents/${id}/approvals`}
        />
      );
      return c.html(`${await html}`);
    }),
  );

  app.get(
    '/ui/incidents/:id/events',
    fragment(async ({ c }) => {
      const incident = await services.incidents.get(c.req.param('id')!);
      if (!incident) return c.text('no such incident', 404);
      const runIds = async () => (await deps.runs.list({ incidentId: incident.id })).map((r) => r.id);
      return liveStream(c, live, { incidentId: incident.id }, runIds);
    }),
  );

  app.get(
    '/ui/runs/:id/events',
    fragment(async ({ c }) => {
      const run = await deps.runs.get(c.req.param('id')!);
      if (!run) return c.text('no such run', 404);
      return liveStream(c, live, { runId: run.id }, async () => [run.id]);
    }),
  );

  app.get(
    '/ui/evidence/:id',
    fragment(async ({ c }) => {
      const e = await services.incidents.evidenceItem(c.req.param('id')!);
      if (!e) return c.text('no such evidence', 404);
      const img = e.content as { mime?: string; base64?: string } | null;
      if (e.kind !== 'image' || !img?.base64 || !/^image\/(png|jpeg)$/.test(img.mime ?? '')) {
        return c.text('not an image', 404);
      }
      return c.body(Buffer.from(img.base64, 'base64'), 200, { 'content-type': img.mime! });
    }),
  );

  mountActions(app, { ...deps, pokes });
}

async function gameDayRows(
  deps: GuardDeps & Pick<Services, 'gameDays'>,
  runbookId: string,
): Promise<GameDayRow[]> {
  if (deps.gameDays) {
    const views = await deps.gameDays.list();
    return views
      .filter((v) => v.runbookId === runbookId)
      .map((v) => ({
        scheduleId: v.id,
        gameDayId: v.gameDayId,
        cron: v.cron,
        timezone: v.timezone,
        mode: v.mode,
        nextDueAt: v.nextDueAt,
        last: v.lastFire
          ? {
              incidentId: v.lastFire.incidentId,
              dueAt: v.lastFire.dueAt,
              passed: v.lastScorecard?.id === v.lastFire.id ? (v.lastScorecard.passed ?? null) : null,
            }
          : null,
      }));
  }
  const rb = deps.fb.registry.get(runbookId);
  return (rb?.runbook.options.gameDays ?? []).map((g) => ({
    scheduleId: null,
    gameDayId: g.id,
    cron: g.cron,
    timezone: g.timezone ?? 'UTC',
    mode: g.mode,
    nextDueAt: null,
    last: null,
  }));
}
