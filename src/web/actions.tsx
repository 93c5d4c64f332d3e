// What the web UI changes, all through POST forms: sign in and out, approval decisions (Approvals.decide,
// the one decision path, via 'web'), revert (cancel the run with revert), dead-letter replay, the kill
// switch, and starting a drill. Each form must come from this origin; each action needs the API's grant.
import type { EventEmitter } from 'node:events';
import type { Context, Handler, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { may, type Permission } from '../api/auth.ts';
import { HttpError } from '../api/errors.ts';
import { Approvals } from '../approvals/service.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { isTerminalRun } from '../core/status.ts';
import type { IncidentStore } from '../incidents/incident-store.ts';
import type { Ingestor } from '../incidents/ingest.ts';
import { replayDeadLetter } from '../incidents/replay.ts';
import type { GameDayScheduler } from '../scheduler/scheduler.ts';
import { localPath } from './format.ts';
import { failure, type GuardDeps, type Req, refuse, render, secure, wantsJson } from './guard.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { fromThisOrigin, identify, signIn, signOut } from './session.ts';

export interface ActionDeps extends GuardDeps {
  approvals: Approvals;
  incidents: IncidentStore;
  ingestor: Ingestor;
  gamedays?: GameDayScheduler | undefined;
  pokes: EventEmitter;
}

/** What an action says afterwards (?done=…), by code: a link cannot make the page say anything else. */
export const FLASH = {
  approved: 'Approved: the run goes on.',
  approval_counted: 'Approval recorded: the gate needs more approvals.',
  rejected: 'Rejected: the run stops and reverts what it applied.',
  reverting: 'Cancel requested: the run stops and reverts its applied mitigations, newest first.',
  replayed: 'Replayed through ingestion.',
  paused: 'Kill switch ON: new mitigations are paused.',
  resumed: 'Kill switch OFF: mitigations run again.',
  drill: 'Drill started.',
  signed_out: 'Signed out.',
} as const;
export type FlashCode = keyof typeof FLASH;

export function flashOf(code: string | undefined): string | null {
  return code && code in FLASH ? FLASH[code as FlashCode] : null;
}

type Form = Record<string, string>;
type Done = { flash: FlashCode; to?: string };

/** The largest form any page posts is a rejection reason (2000 characters). */
const FORM_LIMIT = 64 * 1024;

export function mountActions(app: Hono, deps: ActionDeps): void {
  const act = (need: Permission, fn: (r: Req, form: Form) => Promise<Done>) => action(deps, need, fn);
  const limited = bodyLimit({ maxSize: FORM_LIMIT, onError: (c) => c.text('form too large', 413) });
  for (const path of ['/sign-in', '/sign-out', '/ui/*']) app.on('POST', path, limited);

  app.post('/sign-in', (c) => postSignIn(deps, c));
  app.post('/sign-out', (c) => {
    secure(c);
    if (!fromThisOrigin(c, deps.config)) return c.text('cross-origin form refused', 403);
    signOut(c);
    return c.redirect('/sign-in?done=signed_out', 303);
  });

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/ui/approvals/:id/${decision}`,
      act('approve', async ({ c, caller }, form) => {
        const outcome = await deps.approvals.decide(c.req.param('id')!, {
          decider: deps.approvals.decider('web', caller.identity, caller.role),
          decision,
          reason: form.reason?.trim() || null,
        });
        if (outcome.outcome === 'refused') throw new HttpError(403, 'forbidden', outcome.reason);
        const approval = Approvals.assertRecorded(outcome);
        deps.pokes.emit('poke');
        if (decision === 'reject') return { flash: 'rejected' };
        return { flash: approval.status === 'approved' ? 'approved' : 'approval_counted' };
      }),
    );
  }

  app.post(
    '/ui/runs/:id/revert',
    act('operate', async ({ c }) => {
      const id = c.req.param('id')!;
      const run = await deps.fb.store.getRun(id);
      if (!run) throw new NotFoundError('run', id);
      if (isTerminalRun(run.status)) {
        throw new ConflictError(
          `run ${id} has already ended (${run.status}): there is nothing left to cancel`,
        );
      }
      await deps.fb.cancel(id, { keepMitigations: false });
      deps.pokes.emit('poke');
      return { flash: 'reverting' };
    }),
  );

  app.post(
    '/ui/dead-letters/:id/replay',
    act('operate', async ({ c }) => {
      await replayDeadLetter(deps, c.req.param('id')!, () => deps.fb.engine.clock.now());
      return { flash: 'replayed', to: '/dead-letters' };
    }),
  );

  app.post(
    '/ui/kill-switch',
    act('operate', async ({ caller }, form) => {
      const paused = form.paused === 'true';
      await deps.fb.engine.setPaused(paused, `web:${caller.identity}`);
      return { flash: paused ? 'paused' : 'resumed' };
    }),
  );

  app.post(
    '/ui/gamedays/:id/run',
    act('operate', async ({ c, caller }) => {
      if (!deps.gamedays) throw new NotFoundError('game day', c.req.param('id')!);
      const fired = await deps.gamedays.runNow(c.req.param('id')!, `web:${caller.identity}`);
      return { flash: 'drill', to: `/incidents/${fired.incidentId}` };
    }),
  );
}

function action(deps: ActionDeps, need: Permission, fn: (r: Req, form: Form) => Promise<Done>): Handler {
  return async (c) => {
    secure(c);
    if (!fromThisOrigin(c, deps.config))
      return refuse(deps, c, null, 403, 'This form did not come from a firebreak page.');
    const now = deps.fb.engine.clock.now();
    const who = identify(c, deps.config, now);
    if (!who.caller) return refuse(deps, c, null, 401, 'Sign in first.');
    const caller = who.caller;
    const can = (p: Permission) => may(caller.role, p);
    if (!can(need))
      return refuse(deps, c, caller, 403, `${caller.identity} (${caller.role}) may not ${need}`);
    try {
      const form = await formOf(c);
      const done = await fn({ c, caller, can, now }, form);
      if (wantsJson(c)) return c.json({ ok: true, message: FLASH[done.flash] });
      const to = done.to ?? localPath(form.return);
      return c.redirect(`${to}${to.includes('?') ? '&' : '?'}done=${done.flash}`, 303);
    } catch (err) {
      return failure(deps, c, caller, err);
    }
  };
}

async function formOf(c: Context): Promise<Form> {
  const body = await c.req.parseBody();
  return Object.fromEntries(
    Object.entries(body).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

async function postSignIn(deps: ActionDeps, c: Context): Promise<Response> {
  secure(c);
  if (!fromThisOrigin(c, deps.config))
    return refuse(deps, c, null, 403, 'This form did not come from a firebreak page.');
  const tokens = deps.config.API_TOKENS ?? [];
  if (tokens.length === 0) {
    return render(
      deps,
      c,
      { title: 'Loopback only', caller: null, status: 403 },
      <SignInPage next="/" mode="loopback_only" />,
    );
  }
  const form = await formOf(c);
  const next = localPath(form.next);
  const token = signIn(c, tokens, form.token ?? '', deps.fb.engine.clock.now());
  if (!token) {
    deps.logger.warn('web sign-in refused: unknown token');
    return render(
      deps,
      c,
      { title: 'Sign in', caller: null, status: 401 },
      <SignInPage next={next} mode="tokens" error="That token is not one of this server's API tokens." />,
    );
  }
  return c.redirect(next, 303);
}
