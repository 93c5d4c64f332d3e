// Write-back calls to PagerDuty and Grafana as rows (table writeback_outbox, on the store's outbox core,
// as slack_outbox holds Slack messages): enqueueing is one keyed insert, so the engine's listeners never
// wait for a service and saying the same thing twice (a second process, an event seen again after a
// takeover) queues it once. Rows of one `sequence` go out one at a time in the order they were queued
// (acknowledge, notes, resolve). Errors are redacted before they are stored.
import type { Clock } from '../../core/clock.ts';
import type { Redactor } from '../../core/redact.ts';
import type { Db } from '../../store/database.ts';
import { Outbox } from '../../store/outbox.ts';
import {
  firstPagerDutyAcknowledge,
  type WritebackCall,
  type WritebackOp,
  type WritebackRow,
  type WritebackService,
  type WritebackState,
  writebackOutboxSpec,
  writebackStateByKey,
} from '../../store/writeback-outbox.ts';
import type { ResolvePolicy } from '../pagerduty/write-back.ts';

export type { WritebackCall, WritebackOp, WritebackRow, WritebackService, WritebackState };

export class WritebackOutbox {
  private readonly rows: Outbox<WritebackRow>;

  constructor(
    private readonly db: Db,
    clock: Clock,
    private readonly redact: Redactor,
  ) {
    this.rows = new Outbox(db, clock, redact, writebackOutboxSpec);
  }

  onEnqueued(fn: () => void): void {
    this.rows.onEnqueued(fn);
  }

  /** Queues a call; false when its key was queued before. */
  enqueue(c: WritebackCall): Promise<boolean> {
    return this.rows.enqueue(
      [
        c.service,
        c.op,
        c.key,
        c.sequence ?? null,
        c.ref ?? null,
        this.redact.json(c.body),
        c.runId ?? null,
        c.incidentId ?? null,
      ],
      `queueing a ${c.service} write-back`,
    );
  }

  claim(services: readonly WritebackService[], limit: number, leaseMs: number): Promise<WritebackRow[]> {
    return this.rows.claim(limit, leaseMs, services);
  }

  state(key: string): Promise<WritebackState | null> {
    return writebackStateByKey(this.db, key);
  }

  /** The first PagerDuty incident a run's write-back was queued for (a run asked for it, or its incident). */
  async pagerDutyIncidentOf(runId: string): Promise<{ incident: string; resolve: ResolvePolicy } | null> {
    const first = await firstPagerDutyAcknowledge(this.db, runId);
    if (!first) return null;
    return { incident: first.incident, resolve: first.resolve === 'verified' ? 'verified' : 'never' };
  }

  markSent(id: number, remoteId: string | null): Promise<void> {
    return this.rows.markSent(id, [remoteId]);
  }

  /** Tries again at `at`; `counted` false (a 429, waiting for a referenced row) spends no attempt. */
  retryAt(id: number, at: Date, error: string | null, counted: boolean): Promise<void> {
    return this.rows.retryAt(id, at, error === null ? null : this.redact.text(error), counted);
  }

  markDead(id: number, error: string): Promise<void> {
    return this.rows.markDead(id, this.redact.text(error));
  }

  /** A delivery problem on the timeline of the row's run and incident. */
  timeline(row: WritebackRow, type: string, data: Record<string, unknown>): Promise<void> {
    return this.rows.timeline(row, type, data);
  }
}
