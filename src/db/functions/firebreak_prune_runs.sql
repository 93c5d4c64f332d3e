-- Up to p_limit runs that finished before p_cutoff lose their history: steps, attempts, evidence and the
-- journal lines that are not audit lines. A run with an audit part keeps its row, its approvals and its
-- audit lines (history_pruned_at is set); any other run goes altogether. Rows another transaction holds
-- are skipped, not waited for.
-- Every statement is a keyed or indexed range lookup: enable_seqscan = off keeps the cached plans
-- index plans.
CREATE OR REPLACE FUNCTION firebreak_prune_runs(p_cutoff timestamptz, p_limit int, p_now timestamptz)
RETURNS TABLE (runs int, kept int, steps int, attempts int, evidence int, events int)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
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
$$;
