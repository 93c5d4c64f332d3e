// A runbook step's Grafana client: `grafana(ctx, { url }).annotate({ … })`, through `ctx.http`, with the
// service account token from `ctx.secret('GRAFANA_API_TOKEN')` unless another variable is named.
import type { StepLike } from '../step.ts';
import { type GrafanaClient, grafanaClient } from './client.ts';

export interface GrafanaStepOptions {
  url: string;
  /** The variable holding the service account token (default GRAFANA_API_TOKEN). */
  tokenVariable?: string;
}

export function grafana(ctx: StepLike, opts: GrafanaStepOptions): GrafanaClient {
  return grafanaClient({
    fetch: ctx.http,
    url: opts.url,
    token: ctx.secret(opts.tokenVariable ?? 'GRAFANA_API_TOKEN'),
    now: () => ctx.now(),
  });
}
