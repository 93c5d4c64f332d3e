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
    /**
     * Set when retention removed the run's history (steps, attempts, evidence, journal) but kept the
     * run with its audit part (approvals, decisions, mitigations) for FIREBREAK_AUDIT_RETENTION.
     */
    historyPrunedAt: ts('history_pruned_at'),
  },
  (t) => [
    uniqueIndex('runs_idempotency_key_uq').on(t.idempotencyKey),
    // Retention walks finished runs oldest first: those whose history is still there, then all of them.
    index('runs_prunable_idx')
      .on(t.finishedAt)
      .where(sql`finished_at is not null and history_pruned_at is null`),
    index('runs_finished_idx').on(t.finishedAt).where(sql`finished_at is not null`),
    index('runs_claimable_idx')
      .on(t.wakeAt, t.createdAt)
      .where(sql`status in ('queued','running','waiting','compensating')`),
    index('runs_incident_idx').on(t.incidentId),
    index('runs_created_idx').on(t.createdAt),
    // The runs of a key that may wait for one of its slots: the commit that ends a run of the key makes
    // them due (firebreak_apply_transitions), and must not scan every run to find them.
    index('runs_slot_waiters_idx')
      .on(t.concurrencyKey)
      .where(sql`concurrency_key is not null and status in ('running','waiting')`),
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
  (t) => [
    index('events_run_idx').on(t.runId, t.seq),
    index('events_incident_idx').on(t.incidentId, t.seq),
    // `firebreak export --since --until`: time and sequence grow together, so a BRIN range is tiny and free.
    index('events_at_brin').using('brin', t.at),
  ],
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
  (t) => [index('approvals_run_step_idx').on(t.runId, t.stepKey), index('approvals_status_idx').on(t.status)],
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

/**
 * Mitigation budgets (`budget: { max, per, scope }`): one row per apply that counted against a budget
 * key, written in the same transaction as the commit that starts the apply, under an advisory lock on
 * the key (src/store/sql/mitigation-budget.ts). One row per run and step: a retried apply counts once.
 */
export const mitigationBudgetUses = pgTable(
  'mitigation_budget_uses',
  {
    runId: uuid('run_id').notNull(),
    stepKey: text('step_key').notNull(),
    /** runbook/mitigation, plus #scope when the budget is scoped (budgetKey in src/core/budget.ts). */
    key: text('key').notNull(),
    runbookId: text('runbook_id').notNull(),
    mitigation: text('mitigation').notNull(),
    scope: text('scope'),
    at: ts('at').notNull(),
    /** Counted over the budget because an approver let it through (the gate's id). */
    approvalId: uuid('approval_id'),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.stepKey] }),
    index('mitigation_budget_uses_key_at_idx').on(t.key, t.at),
    index('mitigation_budget_uses_mitigation_at_idx').on(t.runbookId, t.mitigation, t.at),
    // Retention deletes the oldest first (src/retention/sql.ts).
    index('mitigation_budget_uses_at_idx').on(t.at),
  ],
);

/**
 * The commit id of every transition batch that landed. A commit retried after its connection dropped
 * (the answer lost, the COMMIT maybe done) finds its id here and applies nothing twice. Kept a day.
 */
export const firebreakCommits = pgTable(
  'firebreak_commits',
  {
    id: uuid('id').primaryKey(),
    committedAt: ts('committed_at').notNull(),
  },
  (t) => [index('firebreak_commits_committed_idx').on(t.committedAt)],
);

/** Process-wide switches shared by every worker, such as the mitigation kill switch. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull(),
  updatedBy: text('updated_by'),
});

/**
 * Web UI sessions, so that signing out (or an admin's "sign out everyone") ends them on every replica.
 * The id is the SHA-256 of the session id in the cookie: a database reader cannot sign in with it.
 */
export const webSessions = pgTable(
  'web_sessions',
  {
    id: text('id').primaryKey(),
    identity: text('identity').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('web_sessions_expires_idx').on(t.expiresAt)],
);

/** One incident per active alert group (source + group key). Drills are flagged and kept apart. */
export const incidents = pgTable(
  'incidents',
  {
    id: uuid('id').primaryKey(),
    source: text('source').notNull(),
    groupKey: text('group_key').notNull(),
    status: text('status').notNull(),
    title: text('title').notNull(),
    severity: text('severity'),
    labels: jsonb('labels').notNull(),
    drill: boolean('drill').notNull().default(false),
    /** When the first alert started (sender's clock), for time to detect. */
    startedAt: ts('started_at'),
    openedAt: ts('opened_at').notNull(),
    acknowledgedAt: ts('acknowledged_at'),
    resolvedAt: ts('resolved_at'),
    lastNotifiedAt: ts('last_notified_at').notNull(),
    reopenedCount: integer('reopened_count').notNull().default(0),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    // At most one open incident per group; resolved ones stay for the flap window and history.
    uniqueIndex('incidents_open_group_uq').on(t.source, t.groupKey).where(sql`status = 'firing'`),
    index('incidents_group_idx').on(t.source, t.groupKey, t.openedAt),
    index('incidents_opened_idx').on(t.openedAt),
    index('incidents_resolved_idx').on(t.resolvedAt).where(sql`status = 'resolved'`),
  ],
);

export const alerts = pgTable(
  'alerts',
  {
    incidentId: uuid('incident_id').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: text('status').notNull(),
    labels: jsonb('labels').notNull(),
    annotations: jsonb('annotations').notNull(),
    startsAt: ts('starts_at'),
    endsAt: ts('ends_at'),
    generatorUrl: text('generator_url'),
    firstSeenAt: ts('first_seen_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.fingerprint] })],
);

/** Every accepted notification with its raw body, as received. */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    incidentId: uuid('incident_id').notNull(),
    source: text('source').notNull(),
    deliveryId: text('delivery_id'),
    outcome: text('outcome').notNull(),
    body: text('body').notNull(),
    receivedAt: ts('received_at').notNull(),
  },
  (t) => [
    index('notifications_incident_idx').on(t.incidentId),
    uniqueIndex('notifications_delivery_uq').on(t.source, t.deliveryId),
  ],
);

/** Valid JSON that could not be parsed into an alert or routed: kept with the reason, replayable. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: uuid('id').primaryKey(),
    source: text('source').notNull(),
    reason: text('reason').notNull(),
    body: text('body').notNull(),
    headers: jsonb('headers').notNull(),
    receivedAt: ts('received_at').notNull(),
    replayedAt: ts('replayed_at'),
    replayResult: jsonb('replay_result'),
  },
  (t) => [
    index('dead_letters_received_idx').on(t.receivedAt),
    index('dead_letters_replayed_idx').on(t.replayedAt).where(sql`replayed_at is not null`),
  ],
);

/**
 * Outgoing Slack messages. The engine only inserts rows here; a background deliverer sends them with
 * retries, so Slack being down never blocks a run. Rows of one `thread` go out in id order.
 */
export const slackOutbox = pgTable(
  'slack_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** post, ephemeral, update (static body) or approval_refresh (rendered from the gate when sent). */
    kind: text('kind').notNull(),
    /** Names the message a post creates ('incident:<id>', 'run:<id>', 'approval:<id>'), at most once. */
    key: text('key'),
    /** Delivery order group: a row waits while an earlier row of its thread is still pending. */
    thread: text('thread'),
    /** Post as a reply in the Slack thread of the message with this key. */
    replyTo: text('reply_to'),
    /** update / approval_refresh: the key of the message to change. */
    target: text('target'),
    channel: text('channel'),
    body: jsonb('body').notNull(),
    runId: uuid('run_id'),
    incidentId: uuid('incident_id'),
    /** pending, sent or dead (given up; on the timeline). */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    /** Claimed by a deliverer until then (several server processes may deliver). */
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    /** Slack's id of the posted message, for replies and updates. */
    ts: text('ts'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('slack_outbox_key_uq').on(t.key),
    index('slack_outbox_due_idx').on(t.nextAttemptAt, t.id).where(sql`status = 'pending'`),
    index('slack_outbox_thread_idx').on(t.thread, t.id).where(sql`status = 'pending'`),
    index('slack_outbox_done_idx').on(t.createdAt).where(sql`status <> 'pending'`),
  ],
);

/**
 * Write-back to PagerDuty and Grafana (issue 15): the same outbox discipline as slack_outbox (a keyed
 * insert, delivered with retries and leases by any replica), in a table of its own because its rows are
 * HTTP calls to other services, not Slack messages (no channel, thread ts or approval refresh).
 */
export const writebackOutbox = pgTable(
  'writeback_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** pagerduty or grafana. */
    service: text('service').notNull(),
    /** acknowledge, note, resolve (PagerDuty); annotate, annotate_end (Grafana). */
    op: text('op').notNull(),
    /** Idempotency: one row per thing said ('pd:<run>:end', 'grafana:<run>:applied:<step>:<seq>'). */
    key: text('key').notNull(),
    /** Delivery order group ('pagerduty:<incident>'): a row waits while an earlier one is pending. */
    sequence: text('sequence'),
    /** annotate_end: the key of the annotation whose timeEnd it sets. */
    ref: text('ref'),
    /** The call's content; never a credential (those are added when sending). */
    body: jsonb('body').notNull(),
    runId: uuid('run_id'),
    incidentId: uuid('incident_id'),
    /** pending, sent or dead (given up: a 4xx, or attempts used up; on the timeline). */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Times claimed: above 1, an earlier send may have landed unseen (checked before a note is posted again). */
    claims: integer('claims').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    /** What the service created: Grafana's annotation id, PagerDuty's note id. */
    remoteId: text('remote_id'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('writeback_outbox_key_uq').on(t.key),
    index('writeback_outbox_due_idx').on(t.nextAttemptAt, t.id).where(sql`status = 'pending'`),
    index('writeback_outbox_sequence_idx').on(t.sequence, t.id).where(sql`status = 'pending'`),
    index('writeback_outbox_done_idx').on(t.createdAt).where(sql`status <> 'pending'`),
  ],
);

/** The postmortem of an incident: the last generated draft and, once someone saved one, their edit. */
export const postmortems = pgTable('postmortems', {
  incidentId: uuid('incident_id').primaryKey(),
  generatedMarkdown: text('generated_markdown').notNull(),
  generatedJson: jsonb('generated_json').notNull(),
  generatedAt: ts('generated_at').notNull(),
  editedMarkdown: text('edited_markdown'),
  editedBy: text('edited_by'),
  editedAt: ts('edited_at'),
});

/** One row per runbook game day, synced from the loaded runbooks at start (ARCHITECTURE.md, "Game days"). */
export const gamedaySchedules = pgTable('gameday_schedules', {
  /** "<runbook id>:<game day id>". */
  id: text('id').primaryKey(),
  runbookId: text('runbook_id').notNull(),
  gameDayId: text('game_day_id').notNull(),
  cron: text('cron').notNull(),
  timezone: text('timezone').notNull(),
  mode: text('mode').notNull(),
  /** The catch-up baseline until the first due time is handled: earlier due times never fire. */
  createdAt: ts('created_at').notNull(),
  /** Due times at or before this are handled (fired or skipped); a replica moves it forward atomically. */
  handledUntil: ts('handled_until'),
  /** The runbook no longer declares this game day: it does not fire. */
  removedAt: ts('removed_at'),
  updatedAt: ts('updated_at').notNull(),
});

/**
 * Each handled due time of a schedule, fired or skipped, and each manual run. The unique row per
 * (schedule, due time) is the claim that makes a due time fire once across replicas; a fired row then
 * follows its drill: inject, detection, automatic approvals, rollback, scorecard.
 */
export const gamedayFires = pgTable(
  'gameday_fires',
  {
    id: uuid('id').primaryKey(),
    scheduleId: text('schedule_id').notNull(),
    /** The due time; for a manual run, when it was asked for. */
    dueAt: ts('due_at').notNull(),
    /** schedule or manual. */
    trigger: text('trigger').notNull(),
    /** fired or skipped (missed while no replica ran, beyond the catch-up rule). */
    outcome: text('outcome').notNull(),
    mode: text('mode').notNull(),
    incidentId: uuid('incident_id'),
    runId: uuid('run_id'),
    requestedBy: text('requested_by'),
    /** The worker whose tick claimed it. */
    firedBy: text('fired_by'),
    /** What the drill was asked to do when it fired: autoApprove, rollback, detect matchers, targets. */
    settings: jsonb('settings').notNull(),
    recordedAt: ts('recorded_at').notNull(),
    /** null (no inject), pending (the firing replica calls it), injected, failed, or lost (never reported). */
    injectStatus: text('inject_status'),
    injectedAt: ts('injected_at'),
    injectError: jsonb('inject_error'),
    /** Detection looks at alerts journalled after this event seq, until the deadline. */
    detectFromSeq: bigint('detect_from_seq', { mode: 'number' }),
    detectDeadline: ts('detect_deadline'),
    detectedAt: ts('detected_at'),
    detectedAlert: jsonb('detected_alert'),
    rollbackRequestedAt: ts('rollback_requested_at'),
    scoredAt: ts('scored_at'),
    passed: boolean('passed'),
    scorecard: jsonb('scorecard'),
  },
  (t) => [
    uniqueIndex('gameday_fires_due_uq').on(t.scheduleId, t.dueAt).where(sql`trigger = 'schedule'`),
    index('gameday_fires_schedule_idx').on(t.scheduleId, t.recordedAt),
    index('gameday_fires_open_idx').on(t.recordedAt).where(sql`outcome = 'fired' AND scored_at IS NULL`),
    index('gameday_fires_run_idx').on(t.runId),
  ],
);

/**
 * Named singletons across replicas (the Kubernetes watcher; reusable by any job that one replica at a
 * time must do): the holder renews `expires_at`; any replica takes the row over once it has passed.
 * `state` is the holder's to keep for whoever holds the lease next (the watcher's resourceVersions).
 */
export const leases = pgTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  expiresAt: ts('expires_at').notNull(),
  /** Bumped on every change of holder: writes of an older holding can be told apart. */
  generation: bigint('generation', { mode: 'number' }).notNull().default(1),
  state: jsonb('state').notNull().default(sql`'{}'::jsonb`),
  acquiredAt: ts('acquired_at').notNull(),
  renewedAt: ts('renewed_at').notNull(),
});
