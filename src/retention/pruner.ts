// Retention: history older than FIREBREAK_RETENTION is deleted, the audit part of it (approvals,
// decisions, mitigations applied and reverted) only after FIREBREAK_AUDIT_RETENTION. One replica at a
// time prunes (a lease row), every FIREBREAK_PRUNE_INTERVAL, in small batches — one short transaction
// each, rows others hold skipped — so claims, commits and ingest never wait behind it. What it did goes
// to its events (→ /metrics) and the log.

import { type Config, retentionOf } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import { TypedEvents } from '../core/typed-events.ts';
import type { Db, Row } from '../store/database.ts';
import { pruneSentOutbox } from '../store/outbox.ts';
import {
  claimPruner,
  pruneAudit,
  pruneBudgetUses,
  pruneCommitIds,
  pruneDeadLetters,
  pruneIncidents,
  pruneRuns,
  releasePruner,
} from '../store/retention.ts';

export interface RetentionPolicy {
  /** Finished runs (and resolved incidents, dead letters, sent Slack messages) older than this go. */
  retentionMs: number;
  /** The audit part of a run stays this long. Never shorter than retentionMs. */
  auditRetentionMs: number;
}

export interface PrunerOptions extends RetentionPolicy {
  driver: Db;
  clock: Clock;
  logger: Logger;
  /** Who prunes (the worker id): the lease names it. */
  owner: string;
  /** How often a pass is tried; the first one comes a random part of it after start. */
  intervalMs: number;
  /** Runs or incidents per transaction (default 500). */
  batch?: number;
}

/** Rows deleted in one pass, by table, and how long it took. */
export interface PruneReport {
  deleted: Record<string, number>;
  /** Runs whose history went while their audit part stays. */
  runsKept: number;
  ms: number;
}

export interface PrunerEvents {
  pruned: PruneReport;
  failed: { error: string };
}

/** Replayed dead letters are a copy of what became a notification: they go after a week at most. */
const REPLAYED_KEEP_MS = 7 * 86_400_000;
/** A commit is retried within seconds; its id is kept a day. */
const COMMIT_IDS_KEEP_MS = 86_400_000;
/** A pass holds the lease this long, renewed by each batch. */
const LEASE_MS = 10 * 60_000;

export class Pruner {
  readonly events = new TypedEvents<PrunerEvents>('pruner');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneReport | null> | null = null;
  private stopped = false;
  private readonly batch: number;

  constructor(private readonly opts: PrunerOptions) {
    this.batch = opts.batch ?? 500;
  }

  /** Prunes every intervalMs from now on (the first pass at a random point of the first interval). */
  start(): void {
    const schedule = (ms: number) => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.pass().finally(() => schedule(this.opts.intervalMs));
      }, ms);
      this.timer.unref();
    };
    schedule(Math.floor(Math.random() * this.opts.intervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => null);
  }

  /** One pass if no other replica prunes and none did in this interval; null when it did not run. */
  pass(): Promise<PruneReport | null> {
    this.running ??= this.claimedPass()
      .catch((err) => {
        const error = (err as Error).message;
        this.opts.logger.warn('pruning failed; the next interval tries again', { error });
        this.events.emit('failed', { error });
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async claimedPass(): Promise<PruneReport | null> {
    if (!(await this.claim())) return null;
    try {
      const report = await this.prune(this.opts.clock.now());
      this.opts.logger.info('pruned history past retention', {
        ...report.deleted,
        runsKept: report.runsKept,
        ms: report.ms,
      });
      this.events.emit('pruned', report);
      return report;
    } finally {
      await releasePruner(this.opts.driver, { owner: this.opts.owner, now: this.opts.clock.now() });
    }
  }

  private async claim(): Promise<boolean> {
    const now = this.opts.clock.now();
    const until = new Date(now.getTime() + LEASE_MS);
    return claimPruner(this.opts.driver, {
      owner: this.opts.owner,
      now,
      until,
      quietMs: Math.floor(this.opts.intervalMs * 0.9),
    });
  }

  /** Deletes everything past the windows at `now`, batch by batch. Exposed for tests and benchmarks. */
  async prune(now: Date): Promise<PruneReport> {
    const started = Date.now();
    const cutoff = new Date(now.getTime() - this.opts.retentionMs);
    const auditCutoff = new Date(now.getTime() - Math.max(this.opts.auditRetentionMs, this.opts.retentionMs));
    const deleted: Record<string, number> = {};
    const add = (row: Row | undefined, names: Record<string, string>) => {
      for (const [col, table] of Object.entries(names))
        deleted[table] = (deleted[table] ?? 0) + Number(row?.[col] ?? 0);
    };
    let runsKept = 0;
    // Runs past the audit window first: the history pass below then has less to walk.
    await this.batches(async () => {
      const row = await pruneAudit(this.opts.driver, { auditCutoff, batch: this.batch });
      add(row, { runs: 'runs', approvals: 'approvals', events: 'events', rows_other: 'run_history' });
      return Number(row?.runs ?? 0);
    });
    await this.batches(async () => {
      const row = await pruneRuns(this.opts.driver, { cutoff, batch: this.batch, now });
      const picked = Number(row?.runs ?? 0);
      runsKept += Number(row?.kept ?? 0);
      add(row, { steps: 'steps', attempts: 'step_attempts', evidence: 'evidence', events: 'events' });
      deleted.runs = (deleted.runs ?? 0) + picked - Number(row?.kept ?? 0);
      return picked;
    });
    await this.batches(async () => {
      const row = await pruneIncidents(this.opts.driver, { cutoff, auditCutoff, batch: this.batch });
      add(row, {
        incidents: 'incidents',
        alerts: 'alerts',
        notifications: 'notifications',
        events: 'events',
        postmortems: 'postmortems',
      });
      return Number(row?.incidents ?? 0);
    });
    const replayedCutoff = new Date(now.getTime() - Math.min(REPLAYED_KEEP_MS, this.opts.retentionMs));
    const db = this.opts.driver;
    const batch = this.batch;
    const simple: [string, () => Promise<number>][] = [
      [
        'dead_letters',
        () => pruneDeadLetters(db, { receivedBefore: cutoff, replayedBefore: replayedCutoff, batch }),
      ],
      ['slack_outbox', () => pruneSentOutbox(db, 'slack_outbox', { before: cutoff, batch })],
      ['writeback_outbox', () => pruneSentOutbox(db, 'writeback_outbox', { before: cutoff, batch })],
      [
        'firebreak_commits',
        () => pruneCommitIds(db, { before: new Date(now.getTime() - COMMIT_IDS_KEEP_MS), batch }),
      ],
      ['mitigation_budget_uses', () => pruneBudgetUses(db, { before: auditCutoff, batch })],
    ];
    for (const [table, prune] of simple) {
      await this.batches(async () => {
        const n = await prune();
        deleted[table] = (deleted[table] ?? 0) + n;
        return n;
      });
    }
    for (const [k, v] of Object.entries(deleted)) if (v === 0) delete deleted[k];
    return { deleted, runsKept, ms: Date.now() - started };
  }

  /**
   * Runs `step` until a batch comes back short, yielding between batches. (A pass that outlives its
   * lease may meet another replica's: both skip what the other holds, and deleting twice is harmless.)
   */
  private async batches(step: () => Promise<number>): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const n = await step();
      if (n === 0) return;
      await new Promise((r) => setImmediate(r));
      if (n < this.batch) return;
    }
  }
}

/** What the pruner of a process needs of it (a Firebreak is one). */
export interface PrunerHost {
  store: { readonly driver: Db };
  engine: { readonly clock: Clock; readonly workerId: string };
}

/** The pruner of a serve or worker process, started; null when FIREBREAK_RETENTION is off. */
export function startPruner(config: Config, fb: PrunerHost, logger: Logger): Pruner | null {
  const retention = retentionOf(config);
  if (!retention) return null;
  const pruner = new Pruner({
    ...retention,
    driver: fb.store.driver,
    clock: fb.engine.clock,
    logger,
    owner: fb.engine.workerId,
  });
  pruner.start();
  return pruner;
}

/** The start-up line about retention. */
export function describeRetention(config: Config): string {
  if (config.FIREBREAK_RETENTION === 'off')
    return 'retention: off (FIREBREAK_RETENTION=off), history is kept for good';
  return (
    `retention: history ${config.FIREBREAK_RETENTION}, audit ${config.FIREBREAK_AUDIT_RETENTION}, ` +
    `pruned every ${config.FIREBREAK_PRUNE_INTERVAL} by one replica at a time`
  );
}
