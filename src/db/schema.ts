// The durable state of firebreak. Every table here is shared by PostgreSQL and PGlite through one
// migrations folder (drizzle/). Hot-path writes are raw SQL in src/store/sql/, which must stay in
// step with these column names.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey(),
    runbookId: text('runbook_id').notNull(),
    runbookVersion: text('runbook_version').notNull(),
    /** Step names and kinds at start, to detect version drift on resume. */
    plan: jsonb('plan').notNull(),
    status: text('status').notNull(),
    input: jsonb('input').notNull(),
    output: jsonb('output'),
    error: jsonb('error'),
    dryRun: boolean('dry_run').notNull().default(false),
    idempotencyKey: text('idempotency_key'),
    concurrencyKey: text('concurrency_key'),
    incidentId: uuid('incident_id'),
    requestedBy: text('requested_by'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: ts('lease_expires_at'),
    /** When a waiting or backing-off run becomes claimable again; null means "on an external event". */
    wakeAt: ts('wake_at'),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    keepMitigations: boolean('keep_mitigations').notNull().default(false),
    claims: integer('claims').notNull().default(0),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    uniqueIndex('runs_idempotency_key_uq').on(t.idempotencyKey),
    index('runs_claimable_idx')
      .on(t.wakeAt, t.createdAt)
      .where(sql`status in ('queued','running','waiting','compensating')`),
    index('runs_incident_idx').on(t.incidentId),
    index('runs_created_idx').on(t.createdAt),
  ],
);

/** Gives every applied mitigation a global order; reverts walk it backwards. */
export const mitigationAppliedSeq = pgSequence('mitigation_applied_seq');

/** The checkpoint of each step (and each forEach item, key `name[i]`) of a run. */
export const steps = pgTable(
  'steps',
  {
    runId: uuid('run_id').notNull(),
    stepKey: text('step_key').notNull(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    attempt: integer('attempt').notNull().default(0),
    output: jsonb('output'),
    error: jsonb('error'),
    /** Kind-specific progress: applied output and order for mitigations, forEach items, timer due time. */
    state: jsonb('state'),
    /** Order in which mitigations were applied; reverts run in the reverse order. */
    appliedSeq: bigint('applied_seq', { mode: 'number' }),
    idempotencyKey: text('idempotency_key').notNull(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepKey] })],
);

/** One row per finished attempt of a step (success or failure), for the run view and postmortems. */
export const stepAttempts = pgTable(
  'step_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: uuid('run_id').notNull(),
    stepKey: text('step_key').notNull(),
    attempt: integer('attempt').notNull(),
    phase: text('phase').notNull(),
    status: text('status').notNull(),
    error: jsonb('error'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at').notNull(),
  },
  (t) => [index('step_attempts_run_idx').on(t.runId, t.stepKey)],
);

/** Append-only journal. Rows are never updated or deleted (a trigger refuses it). */
export const events = pgTable(
  'events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    runId: uuid('run_id'),
    incidentId: uuid('incident_id'),
    stepKey: text('step_key'),
    type: text('type').notNull(),
    data: jsonb('data'),
    at: ts('at').notNull(),
  },
  (t) => [index('events_run_idx').on(t.runId, t.seq), index('events_incident_idx').on(t.incidentId, t.seq)],
);

export const approvals = pgTable(
  'approvals',
  {
    id: uuid('id').primaryKey(),
    runId: uuid('run_id').notNull(),
    stepKey: text('step_key').notNull(),
    status: text('status').notNull(),
    policy: jsonb('policy').notNull(),
    /** Each decision so far: who, through what surface, when, approve or reject, reason. */
    decisions: jsonb('decisions').notNull().default(sql`'[]'::jsonb`),
    requestedBy: text('requested_by'),
    requestedAt: ts('requested_at').notNull(),
    expiresAt: ts('expires_at'),
    decidedAt: ts('decided_at'),
    reason: text('reason'),
  },
  (t) => [
    uniqueIndex('approvals_run_step_uq').on(t.runId, t.stepKey),
    index('approvals_status_idx').on(t.status),
  ],
);

export const evidence = pgTable(
  'evidence',
  {
    id: uuid('id').primaryKey(),
    runId: uuid('run_id'),
    incidentId: uuid('incident_id'),
    stepKey: text('step_key'),
    attempt: integer('attempt'),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    content: jsonb('content').notNull(),
    contentHash: text('content_hash').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('evidence_run_idx').on(t.runId), index('evidence_incident_idx').on(t.incidentId)],
);

/** Race-free per-key concurrency: a run holds one of `limit` numbered slots while it is active. */
export const concurrencySlots = pgTable(
  'concurrency_slots',
  {
    key: text('key').notNull(),
    slot: integer('slot').notNull(),
    runId: uuid('run_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.slot] }), uniqueIndex('concurrency_slots_run_uq').on(t.runId)],
);

/** Process-wide switches shared by every worker, such as the mitigation kill switch. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull(),
  updatedBy: text('updated_by'),
});
