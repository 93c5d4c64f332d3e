// Webhook deliveries that arrive together are committed together: one call of firebreak_ingest_batch
// (src/db/functions/firebreak_ingest_batch.sql), one transaction, one WAL flush, instead of one of each per delivery. Each delivery
// still succeeds or fails on its own (a subtransaction per item), and waits for the commit before its
// sender is answered, so a 202 still means "on disk".
import type { Db } from '../store/database.ts';
import { GroupCommit, type Pending } from '../store/group-commit.ts';
import { type IngestBatchRow, type IngestRow, ingestBatch, ingestOne } from '../store/ingest.ts';

export type { IngestRow };

interface Item {
  /** The redacted payload, already JSON. */
  payload: string;
  /** Lock order across batches: (source, group_key). */
  lockKey: string;
  now: Date;
  row?: IngestRow;
  error?: unknown;
}

/**
 * A delivery the batch function refused, with the SQLSTATE PostgreSQL gave. Like the database error
 * the single-delivery path throws, it is not a FirebreakError: the sender gets a plain 500 ("internal
 * error"), never PostgreSQL's message text.
 */
export class IngestItemError extends Error {
  readonly details: { sqlState: string };
  constructor(sqlState: string, message: string) {
    super(message);
    this.name = 'IngestItemError';
    this.details = { sqlState };
  }
}

export class IngestBatcher {
  private readonly writes: GroupCommit<Item>;

  constructor(
    private readonly db: Db,
    opts: { maxBatch?: number } = {},
  ) {
    // One batch in flight: its fsync is the wait that lets the next batch fill up.
    this.writes = new GroupCommit<Item>((batch) => this.flush(batch), {
      lazyFlushMs: 0,
      maxBatch: opts.maxBatch ?? 64,
    });
  }

  async ingest(payload: string, lockKey: string, now: Date): Promise<IngestRow> {
    const item: Item = { payload, lockKey, now };
    await this.writes.enqueue(item, true);
    if (item.error !== undefined) throw item.error;
    return item.row!;
  }

  /** Settles every item: its outcome (row or error) is on the item, so the promise only resolves. */
  private async flush(batch: Pending<Item>[]): Promise<void> {
    await this.commit(batch.map((p) => p.item));
    for (const p of batch) p.resolve();
  }

  private async commit(items: Item[]): Promise<void> {
    if (items.length === 1) return this.one(items[0]!);
    // Stable: deliveries of one group keep their arrival order.
    const ordered = [...items].sort((a, b) => (a.lockKey < b.lockKey ? -1 : a.lockKey > b.lockKey ? 1 : 0));
    // The latest clock reading of the batch; every item was received by then.
    const now = new Date(Math.max(...ordered.map((i) => i.now.getTime())));
    let rows: IngestBatchRow[];
    try {
      rows = await ingestBatch(this.db, `[${ordered.map((i) => i.payload).join(',')}]`, now);
    } catch {
      // The batch as a whole did not go through (connection lost, say): each delivery on its own, so
      // one that can be committed is not failed for the others.
      await Promise.all(ordered.map((i) => this.one(i)));
      return;
    }
    for (const r of rows) {
      const item = ordered[Number(r.ord)]!;
      if (r.error_code) item.error = new IngestItemError(String(r.error_code), String(r.error_message));
      else item.row = { incident_id: r.incident_id, outcome: r.outcome, run_ids: r.run_ids };
    }
    for (const item of ordered) {
      if (!item.row && item.error === undefined) item.error = new Error('the ingest batch returned no row');
    }
  }

  /** One delivery in its own transaction (firebreak_ingest), as before batching. */
  private async one(item: Item): Promise<void> {
    try {
      const row = await ingestOne(this.db, item.payload, item.now).catch((err: unknown) => {
        // Two copies of one delivery at once: the loser rolled back on the delivery id; run again, it
        // finds the winner's delivery and is a duplicate (not a 5xx the sender would retry).
        if (isDuplicateDelivery(err)) return ingestOne(this.db, item.payload, item.now);
        throw err;
      });
      item.row = row as IngestRow;
    } catch (err) {
      item.error = err;
    }
  }
}

function isDuplicateDelivery(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e.code === '23505' && String(e.message).includes('notifications_delivery_uq');
}
