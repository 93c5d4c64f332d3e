// Signing in with an API token, and the page every refusal or error is shown on.
export function SignInPage(props: { next: string; error?: string | null; mode: 'tokens' | 'loopback_only' }) {
  if (props.mode === 'loopback_only') {
    return (
      <section>
        <h1>Loopback only</h1>
        <p>
          This server has no API tokens configured, so its API and web UI answer requests from this machine
          (loopback) only. Configure API_TOKENS (token=role[:identity],…) to sign in from elsewhere.
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Sign in</h1>
      <p class="small mut">
        Use one of the server's API tokens. The page keeps a session cookie (12 hours); the role is the
        token's: viewer reads, approver decides gates, operator reverts, replays and pauses, admin does all.
      </p>
      {props.error ? (
        <p class="bad" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/sign-in" class="row">
        <input type="hidden" name="next" value={props.next} />
        <input
          type="password"
          name="token"
          required
          autocomplete="current-password"
          placeholder="API token"
          aria-label="API token"
        />
        <button class="go" type="submit">
          Sign in
        </button>
      </form>
    </section>
  );
}

export function MessagePage(props: { title: string; message: string; back?: string }) {
  return (
    <section>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href={props.back ?? '/'}>Back</a>
      </p>
    </section>
  );
}
