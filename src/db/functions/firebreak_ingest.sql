-- Ingesting one notification is one call and one transaction (src/ingest): the alert is committed
-- together with its incident, its timeline entries and the runs it starts, so an acknowledged alert is
-- never lost and a crash cannot leave an incident whose runbooks never started.
-- p: { incident_id (used if a new incident opens), source, group_key, status, title, severity, labels,
--      started_at, delivery_id, notification_reason, body, flap_ms, alerts: [...], runs: [...] }
-- Returns the incident, what happened (opened, reopened, updated, resolved, repeat, duplicate,
-- unknown_group) and the ids of the runs it created.
-- No pg_notify here: a transaction that notifies holds a database-wide lock from its commit until the
-- commit record is flushed, so every notification waited for its own WAL flush in turn. The caller wakes
-- the workers after the commit (src/db/coalesced-notify.ts).
-- Replay protection (issue 9): a resolved alert whose stored alert (re)started after the notification's
-- own time is stale (an `alert.stale_resolve` note, nothing else); signed deliveries without an id of
-- their own carry delivery_id 'sha256:<body digest>', a duplicate within 24 h.
-- A re-fire within the flap window reopens the incident and runs each matching runbook again (issue 10).
-- A runbook is held back, with the reason in the timeline (`run.held_back`), when its last run for this
-- incident is still going, or when it sets `cooldown` (the candidate's cooldown_ms) and that run ended
-- within it. Runs of a reopen get their own idempotency key: <incident>:<runbook>:reopen:<n>.
-- Every statement is a keyed lookup: enable_seqscan = off keeps the cached plans index plans at any size.
CREATE OR REPLACE FUNCTION firebreak_ingest(p jsonb, p_now timestamptz)
RETURNS TABLE (incident_id uuid, outcome text, run_ids uuid[])
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
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
$$;
