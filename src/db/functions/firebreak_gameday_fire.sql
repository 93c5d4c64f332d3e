-- Firing a game day is one call and one transaction: the claim of the due time, the drill incident, its
-- run and their timeline entries commit together, so a fire is never half done (a claimed due time without
-- its drill, or a drill whose due time another replica could claim again).
-- Scheduled fires first move the schedule's handled_until forward with a compare-and-set, so replicas that
-- planned the same due time from the same row lose here; the unique (schedule_id, due_at) claim row holds
-- even if that were bypassed. Due times the catch-up rule skips are recorded in the same transaction.
-- p: { schedule_id, trigger (schedule | manual), mode, fired_by, expected_handled_until, handled_until,
--      skipped: [due_at, ...], skipped_count, skipped_exact,
--      fire: null | { id, due_at, settings, inject, detect_within_ms,
--                     incident: { id, title, labels, group_key },
--                     run: { id, runbook_id, runbook_version, plan, input, dry_run, idempotency_key,
--                            concurrency_key, requested_by } } }
-- Returns the outcome (fired, skipped, raced, duplicate) and the ids of what it created.
-- Workers are woken by the caller after the commit (as for firebreak_ingest).
CREATE OR REPLACE FUNCTION firebreak_gameday_fire(p jsonb, p_now timestamptz)
RETURNS TABLE (outcome text, fire_id uuid, incident_id uuid, run_id uuid)
LANGUAGE plpgsql
AS $$
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
$$;
