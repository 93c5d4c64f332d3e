-- The current schema, dumped from a migrated database by `npm run db:dump` (src/db/schema-dump.ts).
-- Do not edit: change src/db/schema.ts or src/db/functions/, make a migration, and dump again.

-- tables

CREATE TABLE alerts (
  incident_id uuid NOT NULL,
  fingerprint text NOT NULL,
  status text NOT NULL,
  labels jsonb NOT NULL,
  annotations jsonb NOT NULL,
  starts_at timestamp with time zone,
  ends_at timestamp with time zone,
  generator_url text,
  first_seen_at timestamp with time zone NOT NULL,
  last_seen_at timestamp with time zone NOT NULL
);

CREATE TABLE approvals (
  id uuid NOT NULL,
  run_id uuid NOT NULL,
  step_key text NOT NULL,
  status text NOT NULL,
  policy jsonb NOT NULL,
  decisions jsonb DEFAULT '[]'::jsonb NOT NULL,
  requested_by text,
  requested_at timestamp with time zone NOT NULL,
  expires_at timestamp with time zone,
  decided_at timestamp with time zone,
  reason text
);

CREATE TABLE concurrency_slots (
  key text NOT NULL,
  slot integer NOT NULL,
  run_id uuid NOT NULL
);

CREATE TABLE dead_letters (
  id uuid NOT NULL,
  source text NOT NULL,
  reason text NOT NULL,
  body text NOT NULL,
  headers jsonb NOT NULL,
  received_at timestamp with time zone NOT NULL,
  replayed_at timestamp with time zone,
  replay_result jsonb
);

CREATE TABLE events (
  seq bigint DEFAULT nextval('events_seq_seq'::regclass) NOT NULL,
  run_id uuid,
  incident_id uuid,
  step_key text,
  type text NOT NULL,
  data jsonb,
  at timestamp with time zone NOT NULL
);

CREATE TABLE evidence (
  id uuid NOT NULL,
  run_id uuid,
  incident_id uuid,
  step_key text,
  attempt integer,
  kind text NOT NULL,
  title text NOT NULL,
  content jsonb NOT NULL,
  content_hash text NOT NULL,
  created_at timestamp with time zone NOT NULL
);

CREATE TABLE firebreak_commits (
  id uuid NOT NULL,
  committed_at timestamp with time zone NOT NULL
);

CREATE TABLE gameday_fires (
  id uuid NOT NULL,
  schedule_id text NOT NULL,
  due_at timestamp with time zone NOT NULL,
  trigger text NOT NULL,
  outcome text NOT NULL,
  mode text NOT NULL,
  incident_id uuid,
  run_id uuid,
  requested_by text,
  fired_by text,
  settings jsonb NOT NULL,
  recorded_at timestamp with time zone NOT NULL,
  inject_status text,
  injected_at timestamp with time zone,
  inject_error jsonb,
  detect_from_seq bigint,
  detect_deadline timestamp with time zone,
  detected_at timestamp with time zone,
  detected_alert jsonb,
  rollback_requested_at timestamp with time zone,
  scored_at timestamp with time zone,
  passed boolean,
  scorecard jsonb
);

CREATE TABLE gameday_schedules (
  id text NOT NULL,
  runbook_id text NOT NULL,
  game_day_id text NOT NULL,
  cron text NOT NULL,
  timezone text NOT NULL,
  mode text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  handled_until timestamp with time zone,
  removed_at timestamp with time zone,
  updated_at timestamp with time zone NOT NULL
);

CREATE TABLE incidents (
  id uuid NOT NULL,
  source text NOT NULL,
  group_key text NOT NULL,
  status text NOT NULL,
  title text NOT NULL,
  severity text,
  labels jsonb NOT NULL,
  drill boolean DEFAULT false NOT NULL,
  started_at timestamp with time zone,
  opened_at timestamp with time zone NOT NULL,
  acknowledged_at timestamp with time zone,
  resolved_at timestamp with time zone,
  last_notified_at timestamp with time zone NOT NULL,
  reopened_count integer DEFAULT 0 NOT NULL,
  updated_at timestamp with time zone NOT NULL
);

CREATE TABLE leases (
  name text NOT NULL,
  holder text NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  generation bigint DEFAULT 1 NOT NULL,
  state jsonb DEFAULT '{}'::jsonb NOT NULL,
  acquired_at timestamp with time zone NOT NULL,
  renewed_at timestamp with time zone NOT NULL
);

CREATE TABLE mitigation_budget_uses (
  run_id uuid NOT NULL,
  step_key text NOT NULL,
  key text NOT NULL,
  runbook_id text NOT NULL,
  mitigation text NOT NULL,
  scope text,
  at timestamp with time zone NOT NULL,
  approval_id uuid
);

CREATE TABLE notifications (
  id bigint DEFAULT nextval('notifications_id_seq'::regclass) NOT NULL,
  incident_id uuid NOT NULL,
  source text NOT NULL,
  delivery_id text,
  outcome text NOT NULL,
  body text NOT NULL,
  received_at timestamp with time zone NOT NULL
);

CREATE TABLE postmortems (
  incident_id uuid NOT NULL,
  generated_markdown text NOT NULL,
  generated_json jsonb NOT NULL,
  generated_at timestamp with time zone NOT NULL,
  edited_markdown text,
  edited_by text,
  edited_at timestamp with time zone
);

CREATE TABLE runs (
  id uuid NOT NULL,
  runbook_id text NOT NULL,
  runbook_version text NOT NULL,
  plan jsonb NOT NULL,
  status text NOT NULL,
  input jsonb NOT NULL,
  output jsonb,
  error jsonb,
  dry_run boolean DEFAULT false NOT NULL,
  idempotency_key text,
  concurrency_key text,
  incident_id uuid,
  requested_by text,
  lease_owner text,
  lease_expires_at timestamp with time zone,
  wake_at timestamp with time zone,
  cancel_requested boolean DEFAULT false NOT NULL,
  keep_mitigations boolean DEFAULT false NOT NULL,
  claims integer DEFAULT 0 NOT NULL,
  created_at timestamp with time zone NOT NULL,
  updated_at timestamp with time zone NOT NULL,
  finished_at timestamp with time zone,
  history_pruned_at timestamp with time zone
);

CREATE TABLE settings (
  key text NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamp with time zone NOT NULL,
  updated_by text
);

CREATE TABLE slack_outbox (
  id bigint DEFAULT nextval('slack_outbox_id_seq'::regclass) NOT NULL,
  kind text NOT NULL,
  key text,
  thread text,
  reply_to text,
  target text,
  channel text,
  body jsonb NOT NULL,
  run_id uuid,
  incident_id uuid,
  status text NOT NULL,
  attempts integer DEFAULT 0 NOT NULL,
  next_attempt_at timestamp with time zone NOT NULL,
  locked_until timestamp with time zone,
  last_error text,
  ts text,
  created_at timestamp with time zone NOT NULL,
  sent_at timestamp with time zone
);

CREATE TABLE step_attempts (
  id bigint DEFAULT nextval('step_attempts_id_seq'::regclass) NOT NULL,
  run_id uuid NOT NULL,
  step_key text NOT NULL,
  attempt integer NOT NULL,
  phase text NOT NULL,
  status text NOT NULL,
  error jsonb,
  started_at timestamp with time zone,
  finished_at timestamp with time zone NOT NULL
);

CREATE TABLE steps (
  run_id uuid NOT NULL,
  step_key text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL,
  attempt integer DEFAULT 0 NOT NULL,
  output jsonb,
  error jsonb,
  state jsonb,
  applied_seq bigint,
  idempotency_key text NOT NULL,
  started_at timestamp with time zone,
  finished_at timestamp with time zone
);

CREATE TABLE web_sessions (
  id text NOT NULL,
  identity text NOT NULL,
  created_at timestamp with time zone NOT NULL,
  expires_at timestamp with time zone NOT NULL,
  revoked_at timestamp with time zone
);

CREATE TABLE writeback_outbox (
  id bigint DEFAULT nextval('writeback_outbox_id_seq'::regclass) NOT NULL,
  service text NOT NULL,
  op text NOT NULL,
  key text NOT NULL,
  sequence text,
  ref text,
  body jsonb NOT NULL,
  run_id uuid,
  incident_id uuid,
  status text NOT NULL,
  attempts integer DEFAULT 0 NOT NULL,
  claims integer DEFAULT 0 NOT NULL,
  next_attempt_at timestamp with time zone NOT NULL,
  locked_until timestamp with time zone,
  last_error text,
  remote_id text,
  created_at timestamp with time zone NOT NULL,
  sent_at timestamp with time zone
);

-- sequences

CREATE SEQUENCE events_seq_seq AS bigint START 1 INCREMENT 1 OWNED BY events.seq;

CREATE SEQUENCE mitigation_applied_seq AS bigint START 1 INCREMENT 1;

CREATE SEQUENCE notifications_id_seq AS bigint START 1 INCREMENT 1 OWNED BY notifications.id;

CREATE SEQUENCE slack_outbox_id_seq AS bigint START 1 INCREMENT 1 OWNED BY slack_outbox.id;

CREATE SEQUENCE step_attempts_id_seq AS bigint START 1 INCREMENT 1 OWNED BY step_attempts.id;

CREATE SEQUENCE writeback_outbox_id_seq AS bigint START 1 INCREMENT 1 OWNED BY writeback_outbox.id;

-- constraints

ALTER TABLE alerts ADD CONSTRAINT alerts_incident_id_fingerprint_pk PRIMARY KEY (incident_id, fingerprint);

ALTER TABLE approvals ADD CONSTRAINT approvals_pkey PRIMARY KEY (id);

ALTER TABLE concurrency_slots ADD CONSTRAINT concurrency_slots_key_slot_pk PRIMARY KEY (key, slot);

ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_pkey PRIMARY KEY (id);

ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (seq);

ALTER TABLE evidence ADD CONSTRAINT evidence_pkey PRIMARY KEY (id);

ALTER TABLE firebreak_commits ADD CONSTRAINT firebreak_commits_pkey PRIMARY KEY (id);

ALTER TABLE gameday_fires ADD CONSTRAINT gameday_fires_pkey PRIMARY KEY (id);

ALTER TABLE gameday_schedules ADD CONSTRAINT gameday_schedules_pkey PRIMARY KEY (id);

ALTER TABLE incidents ADD CONSTRAINT incidents_pkey PRIMARY KEY (id);

ALTER TABLE leases ADD CONSTRAINT leases_pkey PRIMARY KEY (name);

ALTER TABLE mitigation_budget_uses ADD CONSTRAINT mitigation_budget_uses_run_id_step_key_pk PRIMARY KEY (run_id, step_key);

ALTER TABLE notifications ADD CONSTRAINT notifications_pkey PRIMARY KEY (id);

ALTER TABLE postmortems ADD CONSTRAINT postmortems_pkey PRIMARY KEY (incident_id);

ALTER TABLE runs ADD CONSTRAINT runs_pkey PRIMARY KEY (id);

ALTER TABLE settings ADD CONSTRAINT settings_pkey PRIMARY KEY (key);

ALTER TABLE slack_outbox ADD CONSTRAINT slack_outbox_pkey PRIMARY KEY (id);

ALTER TABLE step_attempts ADD CONSTRAINT step_attempts_pkey PRIMARY KEY (id);

ALTER TABLE steps ADD CONSTRAINT steps_run_id_step_key_pk PRIMARY KEY (run_id, step_key);

ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_pkey PRIMARY KEY (id);

ALTER TABLE writeback_outbox ADD CONSTRAINT writeback_outbox_pkey PRIMARY KEY (id);

-- indexes

CREATE INDEX approvals_run_step_idx ON public.approvals USING btree (run_id, step_key);

CREATE INDEX approvals_status_idx ON public.approvals USING btree (status);

CREATE UNIQUE INDEX concurrency_slots_run_uq ON public.concurrency_slots USING btree (run_id);

CREATE INDEX dead_letters_received_idx ON public.dead_letters USING btree (received_at);

CREATE INDEX dead_letters_replayed_idx ON public.dead_letters USING btree (replayed_at) WHERE (replayed_at IS NOT NULL);

CREATE INDEX events_at_brin ON public.events USING brin (at);

CREATE INDEX events_incident_idx ON public.events USING btree (incident_id, seq);

CREATE INDEX events_run_idx ON public.events USING btree (run_id, seq);

CREATE INDEX evidence_incident_idx ON public.evidence USING btree (incident_id);

CREATE INDEX evidence_run_idx ON public.evidence USING btree (run_id);

CREATE INDEX firebreak_commits_committed_idx ON public.firebreak_commits USING btree (committed_at);

CREATE UNIQUE INDEX gameday_fires_due_uq ON public.gameday_fires USING btree (schedule_id, due_at) WHERE (trigger = 'schedule'::text);

CREATE INDEX gameday_fires_open_idx ON public.gameday_fires USING btree (recorded_at) WHERE ((outcome = 'fired'::text) AND (scored_at IS NULL));

CREATE INDEX gameday_fires_run_idx ON public.gameday_fires USING btree (run_id);

CREATE INDEX gameday_fires_schedule_idx ON public.gameday_fires USING btree (schedule_id, recorded_at);

CREATE INDEX incidents_group_idx ON public.incidents USING btree (source, group_key, opened_at);

CREATE UNIQUE INDEX incidents_open_group_uq ON public.incidents USING btree (source, group_key) WHERE (status = 'firing'::text);

CREATE INDEX incidents_opened_idx ON public.incidents USING btree (opened_at);

CREATE INDEX incidents_resolved_idx ON public.incidents USING btree (resolved_at) WHERE (status = 'resolved'::text);

CREATE INDEX mitigation_budget_uses_at_idx ON public.mitigation_budget_uses USING btree (at);

CREATE INDEX mitigation_budget_uses_key_at_idx ON public.mitigation_budget_uses USING btree (key, at);

CREATE INDEX mitigation_budget_uses_mitigation_at_idx ON public.mitigation_budget_uses USING btree (runbook_id, mitigation, at);

CREATE UNIQUE INDEX notifications_delivery_uq ON public.notifications USING btree (source, delivery_id);

CREATE INDEX notifications_incident_idx ON public.notifications USING btree (incident_id);

CREATE INDEX runs_claimable_idx ON public.runs USING btree (wake_at, created_at) WHERE (status = ANY (ARRAY['queued'::text, 'running'::text, 'waiting'::text, 'compensating'::text]));

CREATE INDEX runs_created_idx ON public.runs USING btree (created_at);

CREATE INDEX runs_finished_idx ON public.runs USING btree (finished_at) WHERE (finished_at IS NOT NULL);

CREATE UNIQUE INDEX runs_idempotency_key_uq ON public.runs USING btree (idempotency_key);

CREATE INDEX runs_incident_idx ON public.runs USING btree (incident_id);

CREATE INDEX runs_prunable_idx ON public.runs USING btree (finished_at) WHERE ((finished_at IS NOT NULL) AND (history_pruned_at IS NULL));

CREATE INDEX runs_slot_waiters_idx ON public.runs USING btree (concurrency_key) WHERE ((concurrency_key IS NOT NULL) AND (status = ANY (ARRAY['running'::text, 'waiting'::text])));

CREATE INDEX slack_outbox_done_idx ON public.slack_outbox USING btree (created_at) WHERE (status <> 'pending'::text);

CREATE INDEX slack_outbox_due_idx ON public.slack_outbox USING btree (next_attempt_at, id) WHERE (status = 'pending'::text);

CREATE UNIQUE INDEX slack_outbox_key_uq ON public.slack_outbox USING btree (key);

CREATE INDEX slack_outbox_thread_idx ON public.slack_outbox USING btree (thread, id) WHERE (status = 'pending'::text);

CREATE INDEX step_attempts_run_idx ON public.step_attempts USING btree (run_id, step_key);

CREATE INDEX web_sessions_expires_idx ON public.web_sessions USING btree (expires_at);

CREATE INDEX writeback_outbox_done_idx ON public.writeback_outbox USING btree (created_at) WHERE (status <> 'pending'::text);

CREATE INDEX writeback_outbox_due_idx ON public.writeback_outbox USING btree (next_attempt_at, id) WHERE (status = 'pending'::text);

CREATE UNIQUE INDEX writeback_outbox_key_uq ON public.writeback_outbox USING btree (key);

CREATE INDEX writeback_outbox_sequence_idx ON public.writeback_outbox USING btree (sequence, id) WHERE (status = 'pending'::text);

-- functions

CREATE OR REPLACE FUNCTION public.firebreak_apply_transitions(p_owner text, p jsonb, p_now timestamp with time zone)
 RETURNS TABLE(run_id uuid, commit_id uuid)
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
-- Column names win over the OUT parameters (ON CONFLICT (id), run_id, …).
#variable_conflict use_column
DECLARE
  owned uuid[];
  seen uuid[];
  v_ids uuid[] := ARRAY(SELECT (l->>'id')::uuid FROM jsonb_array_elements(p->'leases') l);
  v_terminal uuid[] := ARRAY(SELECT jsonb_array_elements_text(p->'terminal')::uuid);
  v_commits jsonb := COALESCE(p->'commits', '[]'::jsonb);
  v_key text;
  v_at timestamptz;
  v_freed boolean := false;
BEGIN
  -- Arrays, not IN (subquery) or a join on jsonb_to_recordset: those planned a sequential scan of all runs
  -- (and steps) on every commit, so commits slowed down as history grew.
  SELECT array_agg(o.id) INTO owned FROM (
    SELECT r.id FROM runs r
    WHERE r.id = ANY(v_ids) AND r.lease_owner = p_owner
      AND r.claims = (SELECT (l->>'epoch')::int FROM jsonb_array_elements(p->'leases') l WHERE (l->>'id')::uuid = r.id LIMIT 1)
    ORDER BY r.id
    FOR UPDATE OF r
  ) o;
  owned := COALESCE(owned, '{}');
  -- Read after the run rows are locked: an earlier attempt of the same commit still in flight on another
  -- connection has committed (and is seen) or rolled back by now.
  seen := ARRAY(
    SELECT f.id FROM firebreak_commits f
    WHERE f.id = ANY(ARRAY(SELECT (c->>'id')::uuid FROM jsonb_array_elements(v_commits) c))
  );

  IF cardinality(owned) > 0 THEN
    INSERT INTO firebreak_commits (id, committed_at)
    SELECT (c->>'id')::uuid, p_now FROM jsonb_array_elements(v_commits) c
    WHERE (c->>'run_id')::uuid = ANY(owned) AND NOT (c->>'id')::uuid = ANY(seen)
    ON CONFLICT (id) DO NOTHING;
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'steps') > 0 THEN
    INSERT INTO steps AS st (run_id, step_key, kind, status, attempt, output, error, state, applied_seq,
      idempotency_key, started_at, finished_at)
    SELECT t.run_id, t.step_key, t.kind, t.status, t.attempt, t.output, t.error, t.state,
      CASE WHEN t.applied THEN nextval('mitigation_applied_seq') END, t.idempotency_key, t.started_at,
      t.finished_at
    FROM jsonb_to_recordset(p->'steps') AS t(run_id uuid, step_key text, kind text, status text,
      attempt int, output jsonb, error jsonb, state jsonb, applied boolean, idempotency_key text,
      started_at timestamptz, finished_at timestamptz)
    WHERE t.run_id = ANY(owned)
    ON CONFLICT (run_id, step_key) DO UPDATE SET
      status = EXCLUDED.status, attempt = EXCLUDED.attempt, output = EXCLUDED.output, error = EXCLUDED.error,
      state = EXCLUDED.state, applied_seq = COALESCE(st.applied_seq, EXCLUDED.applied_seq),
      started_at = COALESCE(EXCLUDED.started_at, st.started_at), finished_at = EXCLUDED.finished_at
    -- A committed step is never overwritten, except by its own revert.
    WHERE st.status <> 'succeeded' OR EXCLUDED.status IN ('reverted', 'revert_failed');
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'attempts') > 0 THEN
    INSERT INTO step_attempts (run_id, step_key, attempt, phase, status, error, started_at, finished_at)
    SELECT t.run_id, t.step_key, t.attempt, t.phase, t.status, t.error, t.started_at, t.finished_at
    FROM jsonb_to_recordset(p->'attempts') AS t(run_id uuid, step_key text, attempt int, phase text,
      status text, error jsonb, started_at timestamptz, finished_at timestamptz, cid uuid)
    WHERE t.run_id = ANY(owned) AND (t.cid IS NULL OR NOT t.cid = ANY(seen));
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'events') > 0 THEN
    INSERT INTO events (run_id, incident_id, step_key, type, data, at)
    SELECT t.run_id, t.incident_id, t.step_key, t.type, t.data, t.at
    FROM jsonb_to_recordset(p->'events') AS t(run_id uuid, incident_id uuid, step_key text, type text,
      data jsonb, at timestamptz, ord int, cid uuid)
    WHERE t.run_id = ANY(owned) AND (t.cid IS NULL OR NOT t.cid = ANY(seen))
    ORDER BY t.ord;
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'evidence') > 0 THEN
    INSERT INTO evidence (id, run_id, incident_id, step_key, attempt, kind, title, content, content_hash,
      created_at)
    SELECT t.id, t.run_id, t.incident_id, t.step_key, t.attempt, t.kind, t.title, t.content, t.content_hash,
      t.created_at
    FROM jsonb_to_recordset(p->'evidence') AS t(id uuid, run_id uuid, incident_id uuid, step_key text,
      attempt int, kind text, title text, content jsonb, content_hash text, created_at timestamptz, cid uuid)
    WHERE t.run_id = ANY(owned) AND (t.cid IS NULL OR NOT t.cid = ANY(seen))
    ON CONFLICT (id) DO NOTHING;
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'approvals') > 0 THEN
    INSERT INTO approvals (id, run_id, step_key, status, policy, requested_by, requested_at, expires_at)
    SELECT t.id, t.run_id, t.step_key, 'pending', t.policy, t.requested_by, t.requested_at, t.expires_at
    FROM jsonb_to_recordset(p->'approvals') AS t(id uuid, run_id uuid, step_key text, policy jsonb,
      requested_by text, requested_at timestamptz, expires_at timestamptz, cid uuid)
    WHERE t.run_id = ANY(owned) AND (t.cid IS NULL OR NOT t.cid = ANY(seen))
    ON CONFLICT (id) DO NOTHING;
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'runs') > 0 THEN
    UPDATE runs r SET
      status = COALESCE(t.status, r.status),
      output = CASE WHEN t.set_output THEN t.output ELSE r.output END,
      error = CASE WHEN t.set_error THEN t.error ELSE r.error END,
      -- Parking compares wake_at with what the executor saw: a decision or cancel that moved it
      -- meanwhile wins, and the run stays due.
      wake_at = CASE WHEN t.set_wake AND (t.expect_wake IS NULL OR r.wake_at IS NOT DISTINCT FROM t.expect_wake)
        THEN t.wake_at ELSE r.wake_at END,
      lease_owner = CASE WHEN t.release THEN NULL ELSE r.lease_owner END,
      lease_expires_at = CASE WHEN t.release THEN NULL ELSE r.lease_expires_at END,
      runbook_version = COALESCE(t.runbook_version, r.runbook_version),
      finished_at = COALESCE(t.finished_at, r.finished_at),
      updated_at = p_now
    FROM jsonb_to_recordset(p->'runs') AS t(id uuid, status text, output jsonb, set_output boolean,
      error jsonb, set_error boolean, wake_at timestamptz, set_wake boolean, expect_wake timestamptz,
      release boolean, runbook_version text, finished_at timestamptz)
    WHERE r.id = t.id AND r.id = ANY(owned);
  END IF;

  IF cardinality(owned) > 0 AND jsonb_array_length(p->'terminal') > 0 THEN
    -- A run that ended leaves nothing open behind it: a gate still pending is closed, and a step that
    -- was interrupted (cancelled or failed around it) is marked so instead of staying "running".
    UPDATE approvals a SET status = 'expired', decided_at = p_now, reason = COALESCE(a.reason, 'the run ended first')
    WHERE a.run_id = ANY(v_terminal) AND a.run_id = ANY(owned)
      AND a.status = 'pending';
    UPDATE steps s SET status = 'failed', finished_at = p_now,
      error = COALESCE(s.error, jsonb_build_object('name', 'Interrupted', 'code', 'interrupted',
        'message', 'the run ended while this step was in progress', 'nonRetryable', true))
    WHERE s.run_id = ANY(v_terminal) AND s.run_id = ANY(owned)
      AND s.status IN ('running', 'awaiting_approval', 'pending')
      AND NOT (s.kind = 'mitigation' AND s.applied_seq IS NOT NULL);
    -- Its concurrency slot is given up, and the runs queued for one of the key's slots are due in the
    -- same commit (no second write after it). Due at the run's end (finished_at, the engine's clock, as
    -- the claim compares), not p_now. A run of the key still trying to take a slot (running, no slot
    -- yet) is moved too, so the park it is about to commit loses the wake_at compare (so wake_at must
    -- change) and it tries again at once.
    FOR v_key, v_at IN
      WITH freed AS (
        DELETE FROM concurrency_slots c
        WHERE c.run_id = ANY(v_terminal) AND c.run_id = ANY(owned)
        RETURNING c.key, c.run_id
      )
      SELECT f.key, min(COALESCE(r.finished_at, p_now)) FROM freed f JOIN runs r ON r.id = f.run_id
      GROUP BY f.key ORDER BY f.key
    LOOP
      -- SKIP LOCKED: a waiter whose row another commit holds is left to that commit (its park keeps the
      -- wake_at it chose, at most slotRetryMs away), so two commits that each free a slot of one key
      -- never wait on each other's rows (no deadlock, no lock wait in the group commit).
      UPDATE runs r SET wake_at = CASE WHEN r.wake_at = v_at THEN v_at - interval '1 millisecond' ELSE v_at END
      WHERE r.id IN (
        SELECT w.id FROM runs w
        WHERE w.concurrency_key = v_key AND w.status IN ('running', 'waiting')
          AND (w.status = 'running' OR w.wake_at IS NULL OR w.wake_at > v_at)
          AND NOT EXISTS (SELECT 1 FROM concurrency_slots c WHERE c.run_id = w.id)
        ORDER BY w.id
        FOR UPDATE SKIP LOCKED
      );
      v_freed := true;
    END LOOP;
    IF v_freed THEN
      PERFORM pg_notify('firebreak_wake', 'slot');
    END IF;
  END IF;

  RETURN QUERY
    SELECT o, NULL::uuid FROM unnest(owned) o
    UNION ALL
    SELECT (c->>'run_id')::uuid, (c->>'id')::uuid FROM jsonb_array_elements(v_commits) c
    WHERE (c->>'id')::uuid = ANY(seen);
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_gameday_fire(p jsonb, p_now timestamp with time zone)
 RETURNS TABLE(outcome text, fire_id uuid, incident_id uuid, run_id uuid)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  v_schedule text := p->>'schedule_id';
  v_fire jsonb := p->'fire';
  v_inc jsonb := p->'fire'->'incident';
  v_run jsonb := p->'fire'->'run';
  v_fire_id uuid;
  v_inject boolean;
  v_within numeric;
BEGIN
  IF p->>'trigger' = 'schedule' THEN
    UPDATE gameday_schedules s SET handled_until = (p->>'handled_until')::timestamptz, updated_at = p_now
    WHERE s.id = v_schedule
      AND s.handled_until IS NOT DISTINCT FROM (p->>'expected_handled_until')::timestamptz;
    IF NOT FOUND THEN
      outcome := 'raced';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  IF jsonb_array_length(COALESCE(p->'skipped', '[]'::jsonb)) > 0 THEN
    INSERT INTO gameday_fires (id, schedule_id, due_at, trigger, outcome, mode, fired_by, settings, recorded_at)
    SELECT gen_random_uuid(), v_schedule, d::timestamptz, 'schedule', 'skipped', p->>'mode', p->>'fired_by',
      '{}'::jsonb, p_now
    FROM jsonb_array_elements_text(p->'skipped') AS d
    ON CONFLICT (schedule_id, due_at) WHERE trigger = 'schedule' DO NOTHING;
  END IF;
  IF COALESCE((p->>'skipped_count')::int, 0) > 0 THEN
    INSERT INTO events (run_id, incident_id, type, data, at)
    VALUES (NULL, NULL, 'gameday.skipped', jsonb_build_object('schedule', v_schedule,
      'count', (p->>'skipped_count')::int, 'countExact', (p->>'skipped_exact')::boolean,
      'dueAt', p->'skipped'), p_now);
  END IF;

  IF v_fire IS NULL OR jsonb_typeof(v_fire) = 'null' THEN
    outcome := 'skipped';
    RETURN NEXT;
    RETURN;
  END IF;

  v_inject := COALESCE((v_fire->>'inject')::boolean, false);
  v_within := (v_fire->>'detect_within_ms')::numeric;
  INSERT INTO gameday_fires (id, schedule_id, due_at, trigger, outcome, mode, incident_id, run_id, requested_by,
    fired_by, settings, recorded_at, inject_status, detect_from_seq, detect_deadline)
  VALUES ((v_fire->>'id')::uuid, v_schedule, (v_fire->>'due_at')::timestamptz, p->>'trigger', 'fired',
    p->>'mode', (v_inc->>'id')::uuid, (v_run->>'id')::uuid, v_run->>'requested_by', p->>'fired_by',
    v_fire->'settings', p_now,
    CASE WHEN v_inject THEN 'pending' END,
    CASE WHEN v_within IS NOT NULL THEN (SELECT COALESCE(max(e.seq), 0) FROM events e) END,
    -- With an inject the deadline counts from the inject, set when it has been called.
    CASE WHEN v_within IS NOT NULL AND NOT v_inject THEN p_now + make_interval(secs => v_within / 1000) END)
  ON CONFLICT (schedule_id, due_at) WHERE trigger = 'schedule' DO NOTHING
  RETURNING id INTO v_fire_id;
  IF v_fire_id IS NULL THEN
    outcome := 'duplicate';
    RETURN NEXT;
    RETURN;
  END IF;

  INSERT INTO incidents (id, source, group_key, status, title, severity, labels, drill, started_at, opened_at,
    last_notified_at, updated_at)
  VALUES ((v_inc->>'id')::uuid, 'gameday', v_inc->>'group_key', 'firing', v_inc->>'title', NULL,
    v_inc->'labels', true, p_now, p_now, p_now, p_now);
  INSERT INTO events (run_id, incident_id, type, data, at)
  VALUES (NULL, (v_inc->>'id')::uuid, 'incident.opened', jsonb_build_object('title', v_inc->>'title',
    'severity', NULL, 'source', 'gameday', 'groupKey', v_inc->>'group_key', 'drill', true), p_now);
  INSERT INTO events (run_id, incident_id, type, data, at)
  VALUES (NULL, (v_inc->>'id')::uuid, 'gameday.fired', jsonb_build_object('schedule', v_schedule,
    'fireId', v_fire_id, 'runId', v_run->>'id', 'dueAt', v_fire->'due_at', 'trigger', p->>'trigger', 'mode', p->>'mode',
    'requestedBy', v_run->>'requested_by', 'inject', v_inject, 'detectWithinMs', v_within), p_now);

  INSERT INTO runs (id, runbook_id, runbook_version, plan, status, input, dry_run, idempotency_key,
    concurrency_key, incident_id, requested_by, wake_at, claims, created_at, updated_at)
  VALUES ((v_run->>'id')::uuid, v_run->>'runbook_id', v_run->>'runbook_version', v_run->'plan', 'queued',
    v_run->'input', (v_run->>'dry_run')::boolean, v_run->>'idempotency_key', v_run->>'concurrency_key',
    (v_inc->>'id')::uuid, v_run->>'requested_by', p_now, 0, p_now, p_now);
  INSERT INTO events (run_id, incident_id, type, data, at)
  VALUES ((v_run->>'id')::uuid, (v_inc->>'id')::uuid, 'run.created',
    jsonb_build_object('runbook', v_run->>'runbook_id', 'gameday', v_schedule), p_now);

  outcome := 'fired';
  fire_id := v_fire_id;
  incident_id := (v_inc->>'id')::uuid;
  run_id := (v_run->>'id')::uuid;
  RETURN NEXT;
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_ingest(p jsonb, p_now timestamp with time zone)
 RETURNS TABLE(incident_id uuid, outcome text, run_ids uuid[])
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
#variable_conflict use_column
DECLARE
  v_source text := p->>'source';
  v_group text := p->>'group_key';
  v_firing boolean := (p->>'status') = 'firing';
  inc incidents%ROWTYPE;
  v_outcome text;
  v_changed int := 0;
  v_open int;
  v_runs uuid[] := '{}';
  v_seen_id bigint;
  v_seen_at timestamptz;
  v_stale int := 0;
  cand record;
  v_last runs%ROWTYPE;
  v_reason text;
  v_run uuid;
BEGIN
  -- At-least-once senders (PagerDuty) repeat deliveries: a delivery id seen before changes nothing.
  -- A body digest (sha256:…) counts for 24 hours.
  IF p->>'delivery_id' IS NOT NULL THEN
    SELECT n.incident_id, n.id, n.received_at INTO incident_id, v_seen_id, v_seen_at FROM notifications n
    WHERE n.source = v_source AND n.delivery_id = p->>'delivery_id';
    IF FOUND AND (p->>'delivery_id') LIKE 'sha256:%' AND v_seen_at < p_now - interval '24 hours' THEN
      UPDATE notifications SET delivery_id = NULL WHERE id = v_seen_id;
    ELSIF FOUND THEN
      outcome := 'duplicate';
      run_ids := v_runs;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  SELECT * INTO inc FROM incidents i WHERE i.source = v_source AND i.group_key = v_group AND i.status = 'firing'
  FOR UPDATE;
  IF NOT FOUND THEN
    -- The latest incident of this group, open or not: a re-fire within the flap window reopens it.
    SELECT * INTO inc FROM incidents i WHERE i.source = v_source AND i.group_key = v_group
    ORDER BY i.opened_at DESC LIMIT 1 FOR UPDATE;
    IF FOUND AND v_firing AND inc.resolved_at >= p_now - make_interval(secs => (p->>'flap_ms')::numeric / 1000) THEN
      UPDATE incidents SET status = 'firing', resolved_at = NULL, reopened_count = reopened_count + 1,
        last_notified_at = p_now, updated_at = p_now
      WHERE id = inc.id RETURNING * INTO inc;
      v_outcome := 'reopened';
      INSERT INTO events (run_id, incident_id, type, data, at)
      VALUES (NULL, inc.id, 'incident.reopened', jsonb_build_object('reopenedCount', inc.reopened_count), p_now);
    ELSIF v_firing THEN
      INSERT INTO incidents (id, source, group_key, status, title, severity, labels, drill, started_at, opened_at,
        last_notified_at, updated_at)
      VALUES ((p->>'incident_id')::uuid, v_source, v_group, 'firing', p->>'title', p->>'severity', p->'labels',
        COALESCE((p->>'drill')::boolean, false), (p->>'started_at')::timestamptz, p_now, p_now, p_now)
      ON CONFLICT (source, group_key) WHERE status = 'firing' DO NOTHING
      RETURNING * INTO inc;
      IF FOUND THEN
        v_outcome := 'opened';
        INSERT INTO events (run_id, incident_id, type, data, at)
        VALUES (NULL, inc.id, 'incident.opened',
          jsonb_build_object('title', inc.title, 'severity', inc.severity, 'source', v_source, 'groupKey', v_group), p_now);
      ELSE
        -- Another delivery for the same group opened it a moment ago: join that one.
        SELECT * INTO inc FROM incidents i WHERE i.source = v_source AND i.group_key = v_group AND i.status = 'firing'
        FOR UPDATE;
      END IF;
    ELSIF NOT FOUND THEN
      incident_id := NULL;
      outcome := 'unknown_group';
      run_ids := v_runs;
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;

  -- A "resolved" older than the alert's latest start says nothing about the alert as it is now.
  SELECT count(*) INTO v_stale
  FROM jsonb_to_recordset(p->'alerts') AS a(fingerprint text, status text, ends_at timestamptz)
  JOIN alerts al ON al.incident_id = inc.id AND al.fingerprint = a.fingerprint
  WHERE a.status = 'resolved' AND a.ends_at IS NOT NULL AND al.status = 'firing' AND al.starts_at > a.ends_at;
  IF v_stale > 0 THEN
    INSERT INTO events (run_id, incident_id, type, data, at)
    VALUES (NULL, inc.id, 'alert.stale_resolve', jsonb_build_object('alerts', v_stale,
      'reason', 'resolved before the alert last started: a replayed or late notification, ignored'), p_now);
  END IF;

  -- Alerts: insert new ones, update those whose status changed; unchanged ones are a repeat.
  WITH a AS (
    SELECT * FROM jsonb_to_recordset(p->'alerts') AS a(fingerprint text, status text, labels jsonb,
      annotations jsonb, starts_at timestamptz, ends_at timestamptz, generator_url text)
  ),
  up AS (
    INSERT INTO alerts AS al (incident_id, fingerprint, status, labels, annotations, starts_at, ends_at,
      generator_url, first_seen_at, last_seen_at)
    SELECT inc.id, a.fingerprint, a.status, a.labels, a.annotations, a.starts_at, a.ends_at, a.generator_url,
      p_now, p_now
    FROM a
    ON CONFLICT (incident_id, fingerprint) DO UPDATE SET status = EXCLUDED.status, labels = EXCLUDED.labels,
      annotations = EXCLUDED.annotations, ends_at = EXCLUDED.ends_at, last_seen_at = p_now,
      -- A re-fire restarts the alert: its start is the latest one, which rule 1 compares with.
      starts_at = CASE WHEN EXCLUDED.status = 'firing' THEN COALESCE(EXCLUDED.starts_at, al.starts_at)
        ELSE al.starts_at END
    WHERE al.status <> EXCLUDED.status
      AND NOT (EXCLUDED.status = 'resolved' AND EXCLUDED.ends_at IS NOT NULL AND al.starts_at > EXCLUDED.ends_at)
    RETURNING al.fingerprint, al.status, al.labels
  ),
  ev AS (
    INSERT INTO events (run_id, incident_id, type, data, at)
    SELECT NULL, inc.id, 'alert.' || up.status, jsonb_build_object('fingerprint', up.fingerprint, 'labels', up.labels),
      p_now
    FROM up
    RETURNING 1
  )
  SELECT count(*) INTO v_changed FROM ev;

  IF v_outcome IS NULL THEN
    v_outcome := CASE WHEN v_changed > 0 THEN 'updated' ELSE 'repeat' END;
    IF v_changed = 0 AND v_stale = 0 THEN
      INSERT INTO events (run_id, incident_id, type, data, at)
      VALUES (NULL, inc.id, 'alert.repeat',
        jsonb_build_object('reason', COALESCE(p->>'notification_reason', 'unchanged'), 'alerts', jsonb_array_length(p->'alerts')), p_now);
    END IF;
  END IF;

  -- The incident resolves when all of its alerts have.
  SELECT count(*) INTO v_open FROM alerts al WHERE al.incident_id = inc.id AND al.status = 'firing';
  IF inc.status = 'firing' AND v_open = 0 THEN
    UPDATE incidents SET status = 'resolved', resolved_at = p_now, last_notified_at = p_now, updated_at = p_now
    WHERE id = inc.id RETURNING * INTO inc;
    v_outcome := 'resolved';
    INSERT INTO events (run_id, incident_id, type, data, at) VALUES (NULL, inc.id, 'incident.resolved', NULL, p_now);
  ELSE
    UPDATE incidents SET last_notified_at = p_now, updated_at = p_now,
      acknowledged_at = CASE WHEN p->>'notification_reason' = 'incident.acknowledged'
        THEN COALESCE(acknowledged_at, p_now) ELSE acknowledged_at END
    WHERE id = inc.id;
  END IF;

  -- Runbooks start when this notification opened the incident…
  IF v_outcome = 'opened' AND jsonb_array_length(p->'runs') > 0 THEN
    WITH t AS (
      SELECT * FROM jsonb_to_recordset(p->'runs') AS t(id uuid, runbook_id text, runbook_version text, plan jsonb,
        input jsonb, dry_run boolean, idempotency_key text, concurrency_key text)
    ),
    ins AS (
      INSERT INTO runs (id, runbook_id, runbook_version, plan, status, input, dry_run, idempotency_key,
        concurrency_key, incident_id, requested_by, wake_at, claims, created_at, updated_at)
      SELECT t.id, t.runbook_id, t.runbook_version, t.plan, 'queued', t.input, t.dry_run, t.idempotency_key,
        t.concurrency_key, inc.id, 'alert:' || v_source, p_now, 0, p_now, p_now
      FROM t
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING runs.id, runs.runbook_id
    ),
    ev AS (
      INSERT INTO events (run_id, incident_id, type, data, at)
      SELECT ins.id, inc.id, 'run.created', jsonb_build_object('runbook', ins.runbook_id), p_now FROM ins
      RETURNING run_id
    )
    SELECT COALESCE(array_agg(ev.run_id), '{}') INTO v_runs FROM ev;
  END IF;
  -- …and again when it reopened it, one by one, unless held back (see the header).
  IF v_outcome = 'reopened' THEN
    FOR cand IN SELECT * FROM jsonb_to_recordset(p->'runs') AS x(id uuid, runbook_id text, runbook_version text,
      plan jsonb, input jsonb, dry_run boolean, concurrency_key text, cooldown_ms bigint, cooldown text)
    LOOP
      SELECT * INTO v_last FROM runs r WHERE r.incident_id = inc.id AND r.runbook_id = cand.runbook_id
      ORDER BY r.created_at DESC LIMIT 1;
      v_reason := NULL;
      IF FOUND AND v_last.status IN ('queued', 'running', 'waiting', 'compensating') THEN
        v_reason := format('its run %s for this incident is still %s', v_last.id, v_last.status);
      ELSIF FOUND AND cand.cooldown_ms IS NOT NULL AND v_last.finished_at IS NOT NULL
        AND v_last.finished_at > p_now - make_interval(secs => cand.cooldown_ms / 1000.0) THEN
        v_reason := format('cooldown %s: its last run %s ended %s s ago (%s)', cand.cooldown, v_last.id,
          round(extract(epoch FROM p_now - v_last.finished_at)), v_last.status);
      END IF;
      IF v_reason IS NOT NULL THEN
        INSERT INTO events (run_id, incident_id, type, data, at)
        VALUES (NULL, inc.id, 'run.held_back',
          jsonb_build_object('runbook', cand.runbook_id, 'reason', v_reason, 'lastRunId', v_last.id), p_now);
        CONTINUE;
      END IF;
      INSERT INTO runs (id, runbook_id, runbook_version, plan, status, input, dry_run, idempotency_key,
        concurrency_key, incident_id, requested_by, wake_at, claims, created_at, updated_at)
      VALUES (cand.id, cand.runbook_id, cand.runbook_version, cand.plan, 'queued', cand.input, cand.dry_run,
        inc.id || ':' || cand.runbook_id || ':reopen:' || inc.reopened_count, cand.concurrency_key, inc.id,
        'alert:' || v_source, p_now, 0, p_now, p_now)
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING runs.id INTO v_run;
      IF v_run IS NOT NULL THEN
        v_runs := v_runs || v_run;
        INSERT INTO events (run_id, incident_id, type, data, at)
        VALUES (v_run, inc.id, 'run.created',
          jsonb_build_object('runbook', cand.runbook_id, 'reason', 'the incident reopened'), p_now);
      END IF;
    END LOOP;
  END IF;

  INSERT INTO notifications (incident_id, source, delivery_id, outcome, body, received_at)
  VALUES (inc.id, v_source, p->>'delivery_id', v_outcome, p->>'body', p_now);

  incident_id := inc.id;
  outcome := v_outcome;
  run_ids := v_runs;
  RETURN NEXT;
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_ingest_batch(p jsonb, p_now timestamp with time zone)
 RETURNS TABLE(ord integer, incident_id uuid, outcome text, run_ids uuid[], error_code text, error_message text)
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  item jsonb;
  i bigint;
  tries int;
  v_constraint text;
BEGIN
  FOR item, i IN SELECT e.value, e.n FROM jsonb_array_elements(p) WITH ORDINALITY AS e(value, n) LOOP
    ord := i - 1;
    tries := 0;
    LOOP
      tries := tries + 1;
      BEGIN
        SELECT f.incident_id, f.outcome, f.run_ids INTO incident_id, outcome, run_ids
        FROM firebreak_ingest(item, p_now) f;
        error_code := NULL;
        error_message := NULL;
        EXIT;
      EXCEPTION
        WHEN unique_violation THEN
          GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME, error_message = MESSAGE_TEXT;
          IF v_constraint = 'notifications_delivery_uq' AND tries = 1 THEN
            CONTINUE;
          END IF;
          incident_id := NULL; outcome := NULL; run_ids := NULL; error_code := '23505';
          EXIT;
        WHEN OTHERS THEN
          GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE, error_message = MESSAGE_TEXT;
          incident_id := NULL; outcome := NULL; run_ids := NULL;
          EXIT;
      END;
    END LOOP;
    RETURN NEXT;
  END LOOP;
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_is_audit_event(p_type text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT p_type LIKE 'approval.%' OR p_type LIKE 'mitigation.%' OR p_type IN ('run.cancel_requested', 'run.retried');
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_prune_audit(p_cutoff timestamp with time zone, p_limit integer)
 RETURNS TABLE(runs integer, approvals integer, events integer, rows_other integer)
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  n int;
BEGIN
  PERFORM set_config('firebreak.pruning', 'on', true);
  v_ids := ARRAY(
    SELECT r.id FROM runs r
    WHERE r.finished_at < p_cutoff AND r.finished_at IS NOT NULL
    ORDER BY r.finished_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  );
  rows_other := 0;
  DELETE FROM steps s WHERE s.run_id = ANY(v_ids);
  GET DIAGNOSTICS n = ROW_COUNT; rows_other := rows_other + n;
  DELETE FROM step_attempts a WHERE a.run_id = ANY(v_ids);
  GET DIAGNOSTICS n = ROW_COUNT; rows_other := rows_other + n;
  DELETE FROM evidence ev WHERE ev.run_id = ANY(v_ids);
  GET DIAGNOSTICS n = ROW_COUNT; rows_other := rows_other + n;
  DELETE FROM concurrency_slots c WHERE c.run_id = ANY(v_ids);
  DELETE FROM events e WHERE e.run_id = ANY(v_ids);
  GET DIAGNOSTICS events = ROW_COUNT;
  DELETE FROM approvals a WHERE a.run_id = ANY(v_ids);
  GET DIAGNOSTICS approvals = ROW_COUNT;
  DELETE FROM runs r WHERE r.id = ANY(v_ids);
  GET DIAGNOSTICS runs = ROW_COUNT;
  RETURN NEXT;
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_prune_incidents(p_cutoff timestamp with time zone, p_audit_cutoff timestamp with time zone, p_limit integer)
 RETURNS TABLE(incidents integer, alerts integer, notifications integer, events integer, postmortems integer)
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
BEGIN
  PERFORM set_config('firebreak.pruning', 'on', true);
  v_ids := ARRAY(
    SELECT i.id FROM incidents i
    WHERE i.status = 'resolved' AND i.resolved_at < p_cutoff
      AND (i.resolved_at < p_audit_cutoff OR NOT EXISTS (
        SELECT 1 FROM postmortems p WHERE p.incident_id = i.id AND p.edited_markdown IS NOT NULL))
      AND NOT EXISTS (
        SELECT 1 FROM runs r WHERE r.incident_id = i.id
          AND r.status IN ('queued', 'running', 'waiting', 'compensating'))
    ORDER BY i.resolved_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  );
  DELETE FROM alerts a WHERE a.incident_id = ANY(v_ids);
  GET DIAGNOSTICS alerts = ROW_COUNT;
  DELETE FROM notifications n WHERE n.incident_id = ANY(v_ids);
  GET DIAGNOSTICS notifications = ROW_COUNT;
  DELETE FROM events e WHERE e.incident_id = ANY(v_ids) AND e.run_id IS NULL;
  GET DIAGNOSTICS events = ROW_COUNT;
  DELETE FROM postmortems p WHERE p.incident_id = ANY(v_ids);
  GET DIAGNOSTICS postmortems = ROW_COUNT;
  DELETE FROM incidents i WHERE i.id = ANY(v_ids);
  GET DIAGNOSTICS incidents = ROW_COUNT;
  RETURN NEXT;
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_prune_runs(p_cutoff timestamp with time zone, p_limit integer, p_now timestamp with time zone)
 RETURNS TABLE(runs integer, kept integer, steps integer, attempts integer, evidence integer, events integer)
 LANGUAGE plpgsql
 SET enable_seqscan TO 'off'
AS $function$
#variable_conflict use_column
DECLARE
  v_ids uuid[];
  v_audited uuid[];
BEGIN
  PERFORM set_config('firebreak.pruning', 'on', true);
  v_ids := ARRAY(
    SELECT r.id FROM runs r
    WHERE r.finished_at < p_cutoff AND r.finished_at IS NOT NULL AND r.history_pruned_at IS NULL
    ORDER BY r.finished_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  );
  runs := cardinality(v_ids);
  IF runs = 0 THEN
    kept := 0; steps := 0; attempts := 0; evidence := 0; events := 0;
    RETURN NEXT;
    RETURN;
  END IF;
  v_audited := ARRAY(
    SELECT DISTINCT e.run_id FROM events e WHERE e.run_id = ANY(v_ids) AND firebreak_is_audit_event(e.type)
    UNION
    SELECT a.run_id FROM approvals a WHERE a.run_id = ANY(v_ids)
  );
  DELETE FROM steps s WHERE s.run_id = ANY(v_ids);
  GET DIAGNOSTICS steps = ROW_COUNT;
  DELETE FROM step_attempts a WHERE a.run_id = ANY(v_ids);
  GET DIAGNOSTICS attempts = ROW_COUNT;
  DELETE FROM evidence ev WHERE ev.run_id = ANY(v_ids);
  GET DIAGNOSTICS evidence = ROW_COUNT;
  DELETE FROM events e WHERE e.run_id = ANY(v_ids) AND NOT firebreak_is_audit_event(e.type);
  GET DIAGNOSTICS events = ROW_COUNT;
  DELETE FROM concurrency_slots c WHERE c.run_id = ANY(v_ids);
  UPDATE runs r SET history_pruned_at = p_now WHERE r.id = ANY(v_audited);
  GET DIAGNOSTICS kept = ROW_COUNT;
  DELETE FROM runs r WHERE r.id = ANY(v_ids) AND NOT r.id = ANY(v_audited);
  RETURN NEXT;
END;
$function$;

CREATE OR REPLACE FUNCTION public.firebreak_refuse_journal_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('firebreak.pruning', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$function$;

-- triggers

CREATE TRIGGER events_append_only BEFORE DELETE OR UPDATE ON public.events FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_journal_change();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON public.events FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_journal_change();
