-- Up to p_limit incidents resolved before p_cutoff go with their alerts, notifications and timeline
-- (journal lines of the incident that belong to no run), unless a run of theirs has not ended. An
-- incident whose postmortem somebody edited is kept until p_audit_cutoff, with the postmortem.
-- Every statement is a keyed or indexed range lookup: enable_seqscan = off keeps the cached plans
-- index plans.
CREATE OR REPLACE FUNCTION firebreak_prune_incidents(p_cutoff timestamptz, p_audit_cutoff timestamptz, p_limit int)
RETURNS TABLE (incidents int, alerts int, notifications int, events int, postmortems int)
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
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
$$;
