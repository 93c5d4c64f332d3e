// A runbook step's PagerDuty client: `pagerDuty(ctx, { from }).addNote(id, '…')`. The call goes through
// `ctx.http` and throws ApiError, so the step's own retry policy retries 429 (after Retry-After) and 5xx
// and stops at any other 4xx. The key is `ctx.secret('PAGERDUTY_API_TOKEN')` unless another is named.
import type { StepLike } from '../step.ts';
import { type PagerDutyClient, pagerDutyClient } from './client.ts';

export interface PagerDutyStepOptions {
  /** Email of the PagerDuty user the writes are recorded as. */
  from: string;
  /** Default https://api.pagerduty.com. */
  apiUrl?: string;
  /** The variable holding the REST API key (default PAGERDUTY_API_TOKEN). */
  tokenVariable?: string;
}

export function pagerDuty(ctx: StepLike, opts: PagerDutyStepOptions): PagerDutyClient {
  return pagerDutyClient({
    fetch: ctx.http,
    token: ctx.secret(opts.tokenVariable ?? 'PAGERDUTY_API_TOKEN'),
    from: opts.from,
    now: () => ctx.now(),
    ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}),
  });
}
