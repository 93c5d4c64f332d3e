-- The group commit as one function (store/sql/apply-transitions.ts calls it): PL/pgSQL caches the plans of
-- its statements per connection, and tables with nothing to write in this batch are skipped. Only runs
-- still leased by p_owner at the given claim epoch are written (fencing).
-- p: the payload of store/transition-payload.ts, { leases: [{id, epoch}], commits: [{id, run_id}], steps,
--    attempts, events, evidence, approvals, runs, terminal }; the jsonb_to_recordset column lists below
--    are rendered from that file's column declarations (npm run db:functions checks them).
-- Idempotent: every transition carries a commit id (`cid` on its append-only rows). A commit whose
-- connection dropped after COMMIT was sent is retried by the engine; its id is then found in
-- firebreak_commits and its rows are applied zero times. Step and run rows are whole-state writes,
-- applied again harmlessly. Returns (run_id, NULL) for each run whose lease holds and (run_id,
-- commit_id) for each commit that had landed before, whoever holds the run now.
-- When a run ends, its pending gates close, its interrupted steps are marked failed (interrupted), and
-- its concurrency slot goes to the runs queued for the key (they are due in this commit).
-- Runs are looked up by primary key (arrays), never by plans that scan every run and step: a commit must
-- cost the same with a million finished runs. enable_seqscan = off keeps the plans PL/pgSQL caches per
-- connection index plans as the tables grow (a plan cached while they were small scanned them for good).
CREATE OR REPLACE FUNCTION firebreak_apply_transitions(p_owner text, p jsonb, p_now timestamptz)
RETURNS TABLE (run_id uuid, commit_id uuid)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
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
$$;
