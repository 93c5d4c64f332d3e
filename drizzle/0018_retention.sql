ALTER TABLE "runs" ADD COLUMN "history_pruned_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "dead_letters_replayed_idx" ON "dead_letters" USING btree ("replayed_at") WHERE replayed_at is not null;--> statement-breakpoint
CREATE INDEX "events_at_brin" ON "events" USING brin ("at");--> statement-breakpoint
CREATE INDEX "incidents_resolved_idx" ON "incidents" USING btree ("resolved_at") WHERE status = 'resolved';--> statement-breakpoint
CREATE INDEX "runs_prunable_idx" ON "runs" USING btree ("finished_at") WHERE finished_at is not null and history_pruned_at is null;--> statement-breakpoint
CREATE INDEX "runs_finished_idx" ON "runs" USING btree ("finished_at") WHERE finished_at is not null;--> statement-breakpoint
CREATE INDEX "slack_outbox_done_idx" ON "slack_outbox" USING btree ("created_at") WHERE status <> 'pending';
--> statement-breakpoint
-- Retention (src/retention/pruner.ts). The audit part of history — approvals and their decisions,
-- mitigations applied, reverted or kept, cancel and retry requests — may be kept longer than the rest
-- (FIREBREAK_AUDIT_RETENTION). This decides which journal lines are audit lines, in one place.
CREATE OR REPLACE FUNCTION firebreak_is_audit_event(p_type text) RETURNS boolean AS $$
  SELECT p_type LIKE 'approval.%' OR p_type LIKE 'mitigation.%' OR p_type IN ('run.cancel_requested', 'run.retried');
$$ LANGUAGE sql IMMUTABLE;
--> statement-breakpoint
-- The journal stays append-only for everyone but the pruner, which says so for its own transaction with
-- set_config('firebreak.pruning', 'on', true). UPDATE and TRUNCATE stay refused for all.
CREATE OR REPLACE FUNCTION firebreak_refuse_journal_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('firebreak.pruning', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Up to p_limit runs that finished before p_cutoff lose their history: steps, attempts, evidence and the
-- journal lines that are not audit lines. A run with an audit part keeps its row, its approvals and its
-- audit lines (history_pruned_at is set); any other run goes altogether. Rows another transaction holds
-- are skipped, not waited for.
CREATE OR REPLACE FUNCTION firebreak_prune_runs(p_cutoff timestamptz, p_limit int, p_now timestamptz)
RETURNS TABLE (runs int, kept int, steps int, attempts int, evidence int, events int) AS $$
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
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Up to p_limit runs that finished before the audit cutoff go altogether: whatever history is left,
-- their audit lines, their approvals and the run row.
CREATE OR REPLACE FUNCTION firebreak_prune_audit(p_cutoff timestamptz, p_limit int)
RETURNS TABLE (runs int, approvals int, events int, rows_other int) AS $$
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
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Up to p_limit incidents resolved before p_cutoff go with their alerts, notifications and timeline
-- (journal lines of the incident that belong to no run), unless a run of theirs has not ended. An
-- incident whose postmortem somebody edited is kept until p_audit_cutoff, with the postmortem.
CREATE OR REPLACE FUNCTION firebreak_prune_incidents(p_cutoff timestamptz, p_audit_cutoff timestamptz, p_limit int)
RETURNS TABLE (incidents int, alerts int, notifications int, events int, postmortems int) AS $$
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
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Every statement above is a keyed or indexed range lookup: keep their cached plans index plans (0012).
ALTER FUNCTION firebreak_prune_runs(timestamptz, int, timestamptz) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION firebreak_prune_audit(timestamptz, int) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION firebreak_prune_incidents(timestamptz, timestamptz, int) SET enable_seqscan = off;
