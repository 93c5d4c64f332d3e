// How every web request is handled: security headers, who is calling (session or loopback), the
// permission the route needs (the API's grants), and errors shown as a page rather than JSON.
import type { Context, Handler } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type Caller, may, type Permission } from '../api/auth.ts';
import { toErrorResponse } from '../api/errors.ts';
import { exposureWarning } from '../api/exposure.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Firebreak } from '../firebreak.ts';
import { Layout } from './layout.tsx';
import { MessagePage, SignInPage } from './pages/sign-in.tsx';
import { identify, sessionsOf } from './session.ts';

export interface GuardDeps {
  config: Config;
  fb: Firebreak;
  logger: Logger;
}

export interface Req {
  c: Context;
  caller: Caller;
  can: (p: Permission) => boolean;
  now: Date;
}

/** No inline script or style anywhere: markup that slipped through escaping still could not run. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: http:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function secure(c: Context): void {
  c.header('Content-Security-Policy', CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cache-Control', 'no-store');
}

export async function render(
  deps: GuardDeps,
  c: Context,
  opts: {
    title: string;
    caller: Caller | null;
    status?: ContentfulStatusCode;
    flash?: string | null;
    /** The kill switch as the page already read it (the banner shows it); read here otherwise. */
    paused?: boolean;
  },
  body: Child,
): Promise<Response> {
  const paused = opts.paused ?? (await deps.fb.engine.isPaused().catch(() => false));
  const page = (
    <Layout
      title={opts.title}
      shell={{
        caller: opts.caller,
        paused,
        flash: opts.flash ?? null,
        warning: exposureWarning(deps.config),
      }}
    >
      {body}
    </Layout>
  );
  return c.html(`<!doctype html>${await page}`, opts.status ?? 200);
}

type Kind = 'page' | 'fragment';

/** A GET route: pages redirect to sign-in; fragments and streams answer 401 (the page script reloads). */
export function guard(
  deps: GuardDeps,
  need: Permission,
  fn: (r: Req) => Promise<Response>,
  kind: Kind = 'page',
): Handler {
  return async (c) => {
    secure(c);
    const now = deps.fb.engine.clock.now();
    const who = await identify(c, deps.config, sessionsOf(deps.fb), now);
    if (!who.caller) {
      if (kind === 'fragment') return c.text('sign in first', 401);
      if (who.why === 'loopback_only')
        return render(
          deps,
          c,
          { title: 'Loopback only', caller: null, status: 403 },
          <SignInPage next="/" mode="loopback_only" />,
        );
      const url = new URL(c.req.url);
      return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    const caller = who.caller;
    if (!may(caller.role, need))
      return refuse(deps, c, caller, 403, `${caller.identity} (${caller.role}) may not ${need}`);
    try {
      return await fn({ c, caller, now, can: (p) => may(caller.role, p) });
    } catch (err) {
      return failure(deps, c, caller, err);
    }
  };
}

export function refuse(
  deps: GuardDeps,
  c: Context,
  caller: Caller | null,
  status: ContentfulStatusCode,
  message: string,
) {
  if (wantsJson(c)) return c.json({ ok: false, message }, status);
  return render(
    deps,
    c,
    { title: 'Not allowed', caller, status },
    <MessagePage title="Not allowed" message={message} back={backTo(c)} />,
  );
}

export function failure(deps: GuardDeps, c: Context, caller: Caller | null, err: unknown) {
  const { status, body } = toErrorResponse(err);
  if (status >= 500)
    deps.logger.error('web request failed', { path: c.req.path, error: (err as Error).stack });
  const message =
    status >= 500 ? 'Something went wrong; the server log has the details.' : body.error.message;
  if (wantsJson(c)) return c.json({ ok: false, message }, status);
  const title = status === 404 ? 'Not found' : status === 409 ? 'Already settled' : 'Could not do that';
  return render(
    deps,
    c,
    { title, caller, status },
    <MessagePage title={title} message={message} back={backTo(c)} />,
  );
}

/** The page script submits forms with fetch and asks for JSON; without script, forms redirect. */
export function wantsJson(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('application/json');
}

function backTo(c: Context): string {
  try {
    const ref = new URL(c.req.header('referer') ?? '');
    return ref.host === c.req.header('host') ? ref.pathname + ref.search : '/';
  } catch {
    return '/';
  }
}
