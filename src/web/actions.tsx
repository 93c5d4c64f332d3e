// What the web UI changes, all through POST forms: sign in and out, approval decisions (Approvals.decide,
// the one decision path, via 'web'), revert (cancel the run with revert), dead-letter replay, the kill
// switch, starting a drill, and asking for a silence of an incident's alert. Each form must come from this origin; each action needs the API's grant.
import type { EventEmitter } from 'node:events';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, Handler, Hono } from 'hono';
import { may, type Permission } from '../api/auth.ts';
import { bodyLimit } from '../api/body-limit.ts';
import { HttpError } from '../api/errors.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { isTerminalRun } from '../core/status.ts';
import { alertmanagerSettings } from '../integrations/alertmanager/settings.ts';
import { Approvals } from '../services/approvals/decide.ts';
import type { DeadLetterService } from '../services/dead-letters.ts';
import type { GameDays } from '../services/gamedays.ts';
import type { IncidentService } from '../services/incidents.ts';
import type { Runs } from '../services/runs.ts';
import type { Settings } from '../services/settings.ts';
import { requestSilence } from '../services/silences.ts';
import { localPath } from './format.ts';
import { failure, type GuardDeps, type Req, refuse, render, secure, wantsJson } from './guard.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { fromThisOrigin, identify, revokeAllSessions, sessionsOf, signIn, signOut } from './session.ts';
import { SignInThrottle } from './throttle.ts';

export interface ActionDeps extends GuardDeps {
  approvals: Approvals;
  incidents: IncidentService;
  deadLetters: DeadLetterService;
  runs: Runs;
  settings: Settings;
  gameDays?: GameDays | undefined;
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
  silence_requested: 'Silence requested: it is created in Alertmanager once its approval gate is approved.',
  silence_pending: 'A silence of this alert is already requested or active: see its run below.',
  signed_out: 'Signed out.',
  sessions_revoked: 'Every web session was signed out.',
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
  // 413 in the one error shape, like every other body limit.
  const limited = bodyLimit(FORM_LIMIT);
  for (const path of ['/sign-in', '/sign-out', '/ui/*']) app.on('POST', path, limited);

  const throttle = new SignInThrottle();
  app.post('/sign-in', (c) => postSignIn(deps, c, throttle));
  app.post('/sign-out', async (c) => {
    secure(c);
    if (!fromThisOrigin(c, deps.config)) return c.text('cross-origin form refused', 403);
    await signOut(c, sessionsOf(deps.fb), deps.fb.engine.clock.now());
    return c.redirect('/sign-in?done=signed_out', 303);
  });

  // An admin ends every web session at once (a token leaked, someone left): all must sign in again.
  app.post(
    '/ui/sessions/revoke-all',
    act('admin', async ({ now }) => {
      await revokeAllSessions(sessionsOf(deps.fb), now);
      return { flash: 'sessions_revoked', to: '/sign-in' };
    }),
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/ui/approvals/:id/${decision}`,
      act('approve', async ({ c, caller }, form) => {
        if (decision === 'reject' && !form.reason?.trim())
          throw new HttpError(422, 'reason_required', 'a rejection needs a reason');
        const outcome = await deps.approvals.decide(c.req.param('id')!, {
          decider: deps.approvals.decider('web', caller.identity, caller.role),
          decision,
          reason: form.reason?.trim() || null,
        });
        if (outcome.outcome === 'refused') throw new HttpError(403, 'decision_refused', outcome.reason);
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
      const run = await deps.runs.get(id);
      if (!run) throw new NotFoundError('run', id);
      if (isTerminalRun(run.status)) {
        throw new ConflictError(
          `run ${id} has already ended (${run.status}): there is nothing left to cancel`,
        );
      }
      await deps.runs.cancel(id, { keepMitigations: false });
      deps.pokes.emit('poke');
      return { flash: 'reverting' };
    }),
  );

  // Starts the built-in silence runbook: the caller needs the operator role to ask, and the silence
  // itself waits at a gate that the approval policy decides, like any other mitigation.
  const alertmanager = alertmanagerSettings(deps.config);
  app.post(
    '/ui/incidents/:id/silence',
    act('operate', async ({ c, caller }) => {
      const asked = await requestSilence(
        { fb: deps.fb, incidents: deps.incidents, alertmanager },
        c.req.param('id')!,
        `web:${caller.identity}`,
      );
      deps.pokes.emit('poke');
      return { flash: asked.created ? 'silence_requested' : 'silence_pending' };
    }),
  );

  app.post(
    '/ui/dead-letters/:id/replay',
    act('operate', async ({ c }) => {
      await deps.deadLetters.replay(c.req.param('id')!);
      return { flash: 'replayed', to: '/dead-letters' };
    }),
  );

  app.post(
    '/ui/kill-switch',
    act('operate', async ({ caller }, form) => {
      const paused = form.paused === 'true';
      await deps.settings.setKillSwitch(paused, `web:${caller.identity}`);
      return { flash: paused ? 'paused' : 'resumed' };
    }),
  );

  app.post(
    '/ui/gamedays/:id/run',
    act('operate', async ({ c, caller }) => {
      if (!deps.gameDays) throw new NotFoundError('game day', c.req.param('id')!);
      const fired = await deps.gameDays.fire(c.req.param('id')!, `web:${caller.identity}`);
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
    const who = await identify(c, deps.config, sessionsOf(deps.fb), now);
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

async function postSignIn(deps: ActionDeps, c: Context, throttle: SignInThrottle): Promise<Response> {
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
  const now = deps.fb.engine.clock.now();
  const client = peerOf(c);
  const wait = throttle.retryAfter(client, now.getTime());
  if (wait > 0) {
    deps.logger.warn('web sign-in throttled', { client });
    c.header('Retry-After', String(wait));
    return refuse(deps, c, null, 429, `Too many wrong tokens: try again in ${wait} s.`);
  }
  const form = await formOf(c);
  const next = localPath(form.next);
  const token = await signIn(c, sessionsOf(deps.fb), tokens, form.token ?? '', now);
  if (token) throttle.succeeded(client);
  else throttle.failed(client, now.getTime());
  if (!token) {
    deps.logger.warn('web sign-in refused: unknown token', { client });
    return render(
      deps,
      c,
      { title: 'Sign in', caller: null, status: 401 },
      <SignInPage next={next} mode="tokens" error="That token is not one of this server's API tokens." />,
    );
  }
  return c.redirect(next, 303);
}

function peerOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
