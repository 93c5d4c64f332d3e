// POST /webhooks/:source. Answers 2xx only after the alert is committed; every refusal is a 4xx with
// the one error shape; valid JSON that cannot be routed is kept as a dead letter (202).

import { createRoute, z } from '@hono/zod-openapi';
import type { Config } from '../config/config.ts';
import type { WebhookSource } from '../core/alert.ts';
import type { Logger } from '../core/logger.ts';
import { verifyBearer, verifyGrafanaSignature, verifyPagerDutySignature } from '../ingest/auth.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import { WEBHOOK_SOURCES } from '../ingest/sources/index.ts';
import type { Postmortems } from '../services/postmortem/postmortems.ts';
import { isLoopback } from './auth.ts';
import { assertWithinLimit, bodyLimit } from './body-limit.ts';
import { HttpError } from './errors.ts';
import { unauthenticated } from './exposure.ts';
import { apiRoutes, errors, json } from './openapi.ts';
import * as res from './responses.ts';
import { setWebhookOutcome } from './webhook-outcomes.ts';

export const webhookSources: readonly WebhookSource[] = WEBHOOK_SOURCES;

type Check = (raw: string, headers: Headers) => boolean;

/** How each source proves itself; null means no secret is configured (loopback only). */
export function webhookAuth(config: Config): Record<WebhookSource, Check | null> {
  const bearer = (token: string | undefined): Check | null =>
    token ? (_raw, h) => verifyBearer(h.get('authorization'), token) : null;
  const grafanaSecret = config.GRAFANA_HMAC_SECRET;
  const timestampHeader = config.GRAFANA_TIMESTAMP_HEADER;
  const pd = config.PAGERDUTY_WEBHOOK_SECRETS;
  return {
    alertmanager: bearer(config.ALERTMANAGER_TOKEN),
    grafana: grafanaSecret
      ? (raw, h) => verifyGrafanaSignature(raw, h, grafanaSecret, timestampHeader ? { timestampHeader } : {})
      : bearer(config.GRAFANA_TOKEN),
    pagerduty:
      pd && pd.length > 0
        ? (raw, h) => verifyPagerDutySignature(raw, h.get('x-pagerduty-signature'), pd)
        : null,
    datadog: bearer(config.DATADOG_TOKEN),
    generic: bearer(config.GENERIC_TOKEN),
  };
}

export function webhookRoutes(deps: {
  config: Config;
  ingestor: Ingestor;
  logger: Logger;
  postmortems: Postmortems;
}) {
  const auth = webhookAuth(deps.config);
  const limit = deps.config.BODY_LIMIT_BYTES;
  const app = apiRoutes();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{source}',
      operationId: 'receiveWebhook',
      summary: `Receive an alert notification (${webhookSources.join(', ')})`,
      description:
        "Each source proves itself its own way (a bearer token, Grafana's HMAC, PagerDuty's signature); a " +
        'source without a secret configured takes loopback senders only.',
      security: [],
      middleware: [bodyLimit(limit)] as const,
      request: {
        params: z.object({
          source: z.string().openapi({ param: { name: 'source', in: 'path' }, example: 'alertmanager' }),
        }),
        body: {
          required: true,
          description: 'The notification exactly as the source sends it',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
      responses: {
        202: json(res.webhookAccepted, 'Committed: the incident and the runs it started, or a dead letter'),
        ...errors(400, 401, 404, 413, 415, 421, 422),
      },
    }),
    async (c) => {
      const source = c.req.valid('param').source as WebhookSource;
      if (!webhookSources.includes(source)) {
        throw new HttpError(
          404,
          'not_found',
          `unknown webhook source "${source}" (${webhookSources.join(', ')})`,
        );
      }
      const raw = await c.req.text();
      assertWithinLimit(raw, limit);
      const check = auth[source];
      // A source without a secret takes loopback senders, or any when serving unauthenticated was allowed.
      const open =
        isLoopback(c) || (unauthenticated(deps.config) && deps.config.FIREBREAK_ALLOW_UNAUTHENTICATED);
      if (check ? !check(raw, c.req.raw.headers) : !open) {
        throw new HttpError(
          401,
          'unauthorized',
          check ? 'bad credentials or signature' : `${source} has no secret configured: loopback only`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (err) {
        throw new HttpError(400, 'bad_json', `body is not JSON: ${(err as Error).message}`);
      }
      const result = await deps.ingestor.ingest(source, raw, body, c.req.raw.headers, {
        digest: replayable(deps.config, source),
      });
      if (result.kind === 'schema') {
        throw new HttpError(422, 'validation', `body is not a valid ${source} notification`, {
          issues: result.issues,
        });
      }
      if (result.kind === 'unroutable')
        throw new Error('ingest asked to keep dead letters reported one unkept');
      if (result.kind === 'dead_letter') {
        setWebhookOutcome(c, 'dead_letter');
        deps.logger.warn('webhook kept as dead letter', {
          source,
          deadLetterId: result.deadLetterId,
          reason: result.reason,
        });
        return c.json({ deadLetterId: result.deadLetterId, reason: result.reason }, 202);
      }
      setWebhookOutcome(c, result.outcome === 'duplicate' ? 'duplicate' : 'accepted');
      for (const group of result.groups ?? [result]) {
        if (group.outcome !== 'resolved') continue;
        // The draft is written when the incident resolves; the webhook answer does not wait for it.
        deps.postmortems.regenerate(group.incidentId).catch((err) =>
          deps.logger.warn('postmortem draft failed', {
            incidentId: group.incidentId,
            error: (err as Error).message,
          }),
        );
      }
      const { incidentId, outcome, runIds, groups } = result;
      // `incidents`: a delivery that grouping keys (GROUP_BY_<SOURCE>) split into several incidents.
      return c.json({ incidentId, outcome, runIds, ...(groups ? { incidents: groups } : {}) }, 202);
    },
  );
  return app;
}

/**
 * A signed delivery whose signature has no timestamp could be captured and sent again later: it is
 * identified by its body digest (a duplicate within 24 h). Bearer-token senders are not: whoever can
 * replay their request holds the token, and Alertmanager repeats identical bodies on purpose.
 */
function replayable(config: Config, source: WebhookSource): boolean {
  if (source === 'grafana') return Boolean(config.GRAFANA_HMAC_SECRET) && !config.GRAFANA_TIMESTAMP_HEADER;
  return source === 'pagerduty' && Boolean(config.PAGERDUTY_WEBHOOK_SECRETS?.length);
}
