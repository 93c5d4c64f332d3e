// Named leases in the `leases` table (drizzle/0019): one holder at a time across replicas, for jobs that
// must run once (the Kubernetes watcher). A holder renews before its lease runs out; any replica takes
// an expired lease over. Every write is fenced by holder and generation, so a replica that lost its
// lease (paused, cut off) cannot renew or write state over the next holder's.
import type { Queryable } from '../db/driver.ts';

export interface LeaseHolding {
  name: string;
  holder: string;
  /** Incremented each time the lease changes hands. */
  generation: number;
  /** What the previous holders kept for the next one (merged JSON object). */
  state: Record<string, unknown>;
  /** The previous holder, when this acquisition took an expired lease over from another one. */
  takenOverFrom: string | null;
}

// One statement: a racing acquirer blocks on the row and re-checks the WHERE against the winner's write.
const ACQUIRE_SQL = `
WITH prev AS (SELECT holder FROM leases WHERE name = $1)
INSERT INTO leases AS l (name, holder, expires_at, generation, state, acquired_at, renewed_at)
VALUES ($1, $2, $3, 1, '{}'::jsonb, $4, $4)
ON CONFLICT (name) DO UPDATE SET
  holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, renewed_at = EXCLUDED.renewed_at,
  generation = CASE WHEN l.holder = EXCLUDED.holder THEN l.generation ELSE l.generation + 1 END,
  acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE EXCLUDED.acquired_at END
WHERE l.holder = EXCLUDED.holder OR l.expires_at <= EXCLUDED.renewed_at
RETURNING l.generation, l.state, (SELECT holder FROM prev) AS prev_holder`;

const RENEW_SQL = `
UPDATE leases SET expires_at = $4, renewed_at = $5, state = state || $6::text::jsonb
WHERE name = $1 AND holder = $2 AND generation = $3
RETURNING 1 AS ok`;

/** Given up on purpose (shutdown): expired at once, so another replica takes over without waiting. */
const RELEASE_SQL = `
UPDATE leases SET expires_at = $4, state = state || $5::text::jsonb
WHERE name = $1 AND holder = $2 AND generation = $3`;

export class Leases {
  constructor(private readonly db: Queryable) {}

  /** Takes the lease if it is free, expired, or already this holder's; null while another holds it. */
  async acquire(name: string, holder: string, ttlMs: number, now: Date): Promise<LeaseHolding | null> {
    const [row] = await this.db.query(ACQUIRE_SQL, [name, holder, new Date(now.getTime() + ttlMs), now]);
    if (!row) return null;
    const prev = row.prev_holder === null || row.prev_holder === undefined ? null : String(row.prev_holder);
    return {
      name,
      holder,
      generation: Number(row.generation),
      state: (row.state as Record<string, unknown> | null) ?? {},
      takenOverFrom: prev !== null && prev !== holder ? prev : null,
    };
  }

  /** Extends the holding and merges `state` into the row; false when the lease is no longer ours. */
  async renew(
    h: LeaseHolding,
    ttlMs: number,
    now: Date,
    state: Record<string, unknown> = {},
  ): Promise<boolean> {
    const rows = await this.db.query(RENEW_SQL, [
      h.name,
      h.holder,
      h.generation,
      new Date(now.getTime() + ttlMs),
      now,
      JSON.stringify(state),
    ]);
    return rows.length === 1;
  }

  async release(h: LeaseHolding, now: Date, state: Record<string, unknown> = {}): Promise<void> {
    await this.db.query(RELEASE_SQL, [h.name, h.holder, h.generation, now, JSON.stringify(state)]);
  }
}
