// The page shell: header with navigation and who is signed in, the kill-switch banner, one stylesheet and
// one small script (both served from /ui/, so the Content-Security-Policy can forbid inline code).
import type { Child } from 'hono/jsx';
import type { Caller } from '../api/auth.ts';
import { LOOPBACK_NOTE } from '../api/operations.ts';
import { tone } from './format.ts';

export interface Shell {
  caller: Caller | null;
  /** New mitigations are paused (the kill switch). */
  paused: boolean;
  /** A one-line outcome of the last action (?done=…). */
  flash?: string | null;
  /** Serving unauthenticated to the network (FIREBREAK_ALLOW_UNAUTHENTICATED): said on every page. */
  warning?: string | null;
}

export function Layout(props: { title: string; shell: Shell; children?: Child }) {
  const { caller, paused, flash, warning } = props.shell;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · firebreak`}</title>
        <link rel="stylesheet" href="/ui/style.css" />
        <script src="/ui/app.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">
            firebreak
          </a>
          <nav>
            <a href="/">Incidents</a>
            <a href="/runbooks">Runbooks</a>
            <a href="/dead-letters">Dead letters</a>
          </nav>
          {caller ? <Who caller={caller} /> : null}
        </header>
        {caller?.via === 'loopback' ? (
          <div class="banner wait" id="loopback-banner">
            Loopback mode: {LOOPBACK_NOTE}. Set API_TOKENS to sign people in.
          </div>
        ) : null}
        {warning ? (
          <div class="banner bad" id="exposure-banner" role="alert">
            {warning}
          </div>
        ) : null}
        {paused ? (
          <div class="banner bad" id="kill-switch-banner">
            Kill switch ON: new mitigations are paused (diagnostics still run).
          </div>
        ) : null}
        <main>
          {flash ? (
            <p class="flash" role="status">
              {flash}
            </p>
          ) : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

function Who({ caller }: { caller: Caller }) {
  return (
    <span class="who">
      <span>
        {caller.identity} <span class="badge dim">{caller.role}</span>
      </span>
      {caller.via === 'token' ? (
        <>
          <form class="inline" method="post" action="/sign-out">
            <button type="submit">Sign out</button>
          </form>
          {caller.role === 'admin' ? (
            <form class="inline" method="post" action="/ui/sessions/revoke-all">
              <button type="submit" title="Ends every web session, yours too">
                Sign out everyone
              </button>
            </form>
          ) : null}
        </>
      ) : (
        <span class="small">(unauthenticated admin: loopback, no API_TOKENS)</span>
      )}
    </span>
  );
}

export function Badge({ status, label }: { status: string; label?: string }) {
  return <span class={`badge ${tone(status)}`}>{label ?? status.replace(/_/g, ' ')}</span>;
}
