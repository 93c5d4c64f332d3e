// Sends the Slack outbox, on the deliverer core (../delivery.ts): each row ends sent, tried again later
// with backoff, or given up; a 429 holds every Slack delivery of this process until its Retry-After has
// passed. Each failed attempt goes on the run's and incident's timeline and into the counters, so a Slack
// outage is visible without ever blocking a run. What is Slack's own: the Web API call a row becomes
// (replies and updates wait for the message they refer to) and which Slack errors are worth a retry.
import { webApi } from '@slack/bolt';
import type { Store } from '../../store/store.ts';
import {
  Deliverer,
  type DelivererOptions,
  type DeliveryChannel,
  type DeliveryFailure,
  type DeliveryOutcome,
} from '../delivery.ts';
import type { SlackCounters } from './counters.ts';
import { approvalStateMessage } from './messages.ts';
import type { OutboxRow, SlackOutbox } from './outbox.ts';
import type { WebClient } from './web-client.ts';

export interface DelivererDeps extends DelivererOptions {
  outbox: SlackOutbox;
  client: WebClient;
  store: Pick<Store, 'getApproval'>;
  counters: SlackCounters;
}

type Prepared = { method: string; args: Record<string, unknown> } | { later: true } | { giveUp: string };
type Failure = Extract<DeliveryFailure, { rateLimitMs: number }> | { retryable: boolean; message: string };

const METHOD = {
  post: 'chat.postMessage',
  ephemeral: 'chat.postEphemeral',
  update: 'chat.update',
  approval_refresh: 'chat.update',
} as const;

// Slack errors (HTTP 200, ok: false) that a later attempt can get past; any other one never will.
const RETRYABLE = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export class SlackDeliverer extends Deliverer<OutboxRow, 'slack'> {
  constructor(deps: DelivererDeps) {
    super(slackChannel(deps), deps);
  }
}

/** What Slack delivery is on the deliverer core: one lane, SlackCounters, the Web API call of a row. */
function slackChannel(deps: DelivererDeps): DeliveryChannel<OutboxRow, 'slack'> {
  const { outbox, counters } = deps;
  return {
    queue: {
      claim: (_lanes, limit, leaseMs) => outbox.claim(limit, leaseMs),
      retryAt: (id, at, error, counted) => outbox.retryAt(id, at, error, counted),
      markDead: (id, error) => outbox.markDead(id, error),
      timeline: (row, type, data) => outbox.timeline(row, type, data),
    },
    lanes: () => ['slack'],
    laneOf: () => 'slack',
    attempt: (row) => attempt(deps, row),
    count: (_row, what) => {
      counters[what]++;
    },
    labels: (row) => ({ method: METHOD[row.kind] }),
    laneLabels: () => ({}),
    events: { failed: 'slack.delivery_failed', abandoned: 'slack.delivery_abandoned' },
    say: {
      rateLimited: 'slack rate limited; holding delivery',
      failed: 'slack delivery failed; will retry',
      abandoned: 'slack message given up',
    },
    what: 'slack delivery',
  };
}

async function attempt(deps: DelivererDeps, row: OutboxRow): Promise<DeliveryOutcome> {
  let call: Prepared;
  try {
    call = await prepare(deps, row);
  } catch (err) {
    return { failure: { retryable: true, message: `preparing: ${(err as Error).message}` } };
  }
  if ('later' in call) return 'later';
  if ('giveUp' in call) return call;
  let result: Record<string, unknown>;
  try {
    result = (await deps.client.apiCall(call.method, call.args)) as unknown as Record<string, unknown>;
  } catch (err) {
    return { failure: classify(err) };
  }
  const ts = (result.ts ?? result.message_ts ?? null) as string | null;
  await deps.outbox.markSent(row.id, (result.channel as string | undefined) ?? null, ts);
  return 'sent';
}

/** The Web API call for a row; replies and updates first need the message they refer to. */
async function prepare(deps: DelivererDeps, row: OutboxRow): Promise<Prepared> {
  const { outbox } = deps;
  const { text, blocks, user, broadcast } = row.body;
  const content = { text, ...(blocks ? { blocks } : {}) };
  switch (row.kind) {
    case 'ephemeral':
      return { method: METHOD.ephemeral, args: { channel: row.channel, user, ...content } };
    case 'post': {
      const parent = row.replyTo ? await outbox.message(row.replyTo) : null;
      if (parent?.status === 'pending') return { later: true };
      // A thread whose first message was given up still gets its messages, in the channel itself.
      const thread =
        parent?.status === 'sent' && parent.ts
          ? {
              channel: parent.channel ?? row.channel,
              thread_ts: parent.ts,
              reply_broadcast: broadcast === true,
            }
          : { channel: row.channel };
      return { method: METHOD.post, args: { ...thread, ...content, unfurl_links: false } };
    }
    case 'update':
    case 'approval_refresh': {
      const target = row.target ? await outbox.message(row.target) : null;
      if (target?.status === 'pending') return { later: true };
      if (target?.status !== 'sent' || !target.ts)
        return { giveUp: `message ${row.target} was never posted` };
      let body = content;
      if (row.kind === 'approval_refresh') {
        const approval = await deps.store.getApproval(row.body.approvalId ?? '');
        if (!approval) return { giveUp: `approval ${row.body.approvalId} not found` };
        const state = approvalStateMessage(target.body, approval);
        body = { text: state.text, ...(state.blocks ? { blocks: state.blocks } : {}) };
      }
      return { method: METHOD.update, args: { channel: target.channel, ts: target.ts, ...body } };
    }
  }
}

export function classify(err: unknown): Failure {
  if (err instanceof webApi.WebAPIRateLimitedError) {
    return {
      rateLimitMs: err.retryAfter * 1000,
      message: `rate limited (HTTP 429), retry after ${err.retryAfter} s`,
    };
  }
  if (err instanceof webApi.WebAPIPlatformError) {
    const code = err.data.error;
    if (code === 'ratelimited') return { rateLimitMs: 1000, message: 'rate limited (ratelimited)' };
    return { retryable: RETRYABLE.has(code), message: `slack error ${code}` };
  }
  if (err instanceof webApi.WebAPIHTTPError) return { retryable: true, message: `HTTP ${err.statusCode}` };
  if (err instanceof webApi.WebAPIRequestError) return { retryable: true, message: err.original.message };
  return { retryable: true, message: (err as Error).message ?? String(err) };
}
