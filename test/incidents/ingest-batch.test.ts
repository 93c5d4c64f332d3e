// Deliveries that arrive together share one transaction (firebreak_ingest_batch), yet each one keeps
// its own outcome: a bad one fails alone, two copies of one delivery are one delivery and a duplicate,
// and one group twice is one incident.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { connect, type Row, type SqlDriver } from '../../src/db/driver.ts';
import { IngestBatcher, IngestItemError } from '../../src/ingest/ingest-batch.ts';
import { testDatabase } from '../support/db.ts';

function delivery(group: string, opts: { deliveryId?: string; startsAt?: string } = {}) {
  return {
    incident_id: randomUUID(),
    source: 'pagerduty',
    group_key: group,
    status: 'firing',
    title: `group ${group}`,
    severity: 'critical',
    labels: {},
    started_at: null,
    delivery_id: opts.deliveryId ?? null,
    notification_reason: null,
    body: '{}',
    flap_ms: 0,
    alerts: [
      {
        fingerprint: `fp-${group}`,
        status: 'firing',
        labels: { alertname: group },
        annotations: {},
        starts_at: opts.startsAt ?? null,
        ends_at: null,
        generator_url: null,
      },
    ],
    runs: [],
  };
}

/**
 * Counts the batch calls that reach the database and those that failed as a whole (the batcher then
 * falls back to one call per delivery, which would hide a broken batch function). A real driver,
 * only observed.
 */
function counting(driver: SqlDriver) {
  const calls = { batches: 0, failed: 0 };
  const observed: SqlDriver = {
    ...driver,
    query<T extends Row>(text: string, params?: readonly unknown[]) {
      if (!text.includes('firebreak_ingest_batch')) return driver.query<T>(text, params);
      calls.batches++;
      return driver.query<T>(text, params).catch((err: unknown) => {
        calls.failed++;
        throw err;
      });
    },
  };
  return { driver: observed, calls };
}

describe('ingest batches', () => {
  test('each delivery of one batch keeps its own outcome', async () => {
    await using db = await testDatabase();
    const raw = await connect({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, migrate: true });
    try {
      const { driver, calls } = counting(raw);
      const batcher = new IngestBatcher(driver);
      const now = new Date();
      const send = (p: ReturnType<typeof delivery>) =>
        batcher.ingest(JSON.stringify(p), `${p.source}\u0000${p.group_key}`, now);

      // Started in one tick, so they are committed by one call.
      const results = await Promise.allSettled([
        send(delivery('a', { deliveryId: 'd-1' })),
        send(delivery('a', { deliveryId: 'd-1' })),
        send(delivery('b', { startsAt: 'not a time' })),
        send(delivery('c')),
        send(delivery('c')),
      ]);
      expect(calls).toEqual({ batches: 1, failed: 0 });

      const outcome = (i: number) => {
        const r = results[i]!;
        return r.status === 'fulfilled' ? r.value.outcome : r.reason;
      };
      expect(outcome(0)).toBe('opened');
      expect(outcome(1)).toBe('duplicate');
      expect(outcome(2)).toBeInstanceOf(IngestItemError);
      expect((outcome(2) as IngestItemError).details).toEqual({ sqlState: '22007' });
      expect(outcome(3)).toBe('opened');
      expect(outcome(4)).toBe('repeat');

      // The bad delivery left nothing behind; the others are all there, once.
      const incidents = await raw.query<{ group_key: string; n: number }>(
        'select group_key, count(*)::int as n from incidents group by group_key order by group_key',
      );
      expect(incidents).toEqual([
        { group_key: 'a', n: 1 },
        { group_key: 'c', n: 1 },
      ]);
      const [notes] = await raw.query<{ n: number }>('select count(*)::int as n from notifications');
      expect(notes).toEqual({ n: 3 });
    } finally {
      await raw.close();
    }
  });
});
