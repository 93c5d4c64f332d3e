// Sends the write-back outbox, on the deliverer core (../delivery.ts). Each row ends sent, tried again
// later, or given up (dead): a 429 holds that service's deliveries in this process until its Retry-After
// has passed (and spends no attempt); a 5xx, 408 or a network error backs off (a Retry-After on it is
// respected); any other 4xx is dead at once, recorded on the run's and incident's timeline, never
// retried. Nothing here blocks a run.
import { ApiError } from '../api-error.ts';
import {
  Deliverer,
  type DelivererOptions,
  type DeliveryChannel,
  type DeliveryCount,
  type DeliveryFailure,
} from '../delivery.ts';
import type { WritebackOutbox, WritebackRow, WritebackService } from './outbox.ts';
import type { Sender } from './senders.ts';

export interface WritebackCounts {
  delivered: number;
  failedAttempts: number;
  rateLimited: number;
  abandoned: number;
}

export interface WritebackDelivererDeps extends DelivererOptions {
  outbox: WritebackOutbox;
  senders: Partial<Record<WritebackService, Sender>>;
}

/** A 429 without Retry-After waits this long. */
const DEFAULT_RATE_LIMIT_MS = 1_000;

export class WritebackDeliverer extends Deliverer<WritebackRow, WritebackService> {
  private readonly counts: Map<WritebackService, WritebackCounts>;

  constructor(deps: WritebackDelivererDeps) {
    const counts = new Map<WritebackService, WritebackCounts>();
    super(writebackChannel(deps, counts), deps);
    this.counts = counts;
  }

  /** This process's totals per service, for /metrics and tests. */
  snapshot(): Record<string, WritebackCounts> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, { ...v }]));
  }
}

/** What write-back delivery is on the deliverer core: a lane per configured service, its sender. */
function writebackChannel(
  deps: WritebackDelivererDeps,
  counts: Map<WritebackService, WritebackCounts>,
): DeliveryChannel<WritebackRow, WritebackService> {
  return {
    queue: deps.outbox,
    lanes: () => Object.keys(deps.senders) as WritebackService[],
    laneOf: (row) => row.service,
    attempt: async (row) => {
      const send = deps.senders[row.service];
      if (!send) return { giveUp: `${row.service} is not configured` };
      let result: Awaited<ReturnType<Sender>>;
      try {
        result = await send(row);
      } catch (err) {
        return { failure: classify(err) };
      }
      if (result === 'later') return 'later';
      await deps.outbox.markSent(row.id, result.remoteId);
      return 'sent';
    },
    count: (row, what: DeliveryCount) => {
      const c = counts.get(row.service) ?? { delivered: 0, failedAttempts: 0, rateLimited: 0, abandoned: 0 };
      c[what]++;
      counts.set(row.service, c);
    },
    labels: (row) => ({ service: row.service, op: row.op }),
    laneLabels: (row) => ({ service: row.service }),
    events: { failed: 'writeback.delivery_failed', abandoned: 'writeback.delivery_abandoned' },
    say: {
      rateLimited: 'write-back rate limited; holding delivery',
      failed: 'write-back delivery failed; will retry',
      abandoned: 'write-back given up',
    },
    what: 'write-back delivery',
  };
}

export function classify(err: unknown): DeliveryFailure {
  if (err instanceof ApiError) {
    if (err.status === 429) {
      return { rateLimitMs: err.retryAfterMs ?? DEFAULT_RATE_LIMIT_MS, message: err.message };
    }
    return {
      retryable: !err.nonRetryable,
      ...(err.retryAfterMs === undefined ? {} : { delayMs: err.retryAfterMs }),
      message: err.message,
    };
  }
  // Network errors, timeouts, an answer that was not what the API documents: a later try may pass.
  return { retryable: true, message: (err as Error).message ?? String(err) };
}
