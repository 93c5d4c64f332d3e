-- Retention (src/retention/pruner.ts). The audit part of history — approvals and their decisions,
-- mitigations applied, reverted or kept, cancel and retry requests — may be kept longer than the rest
-- (FIREBREAK_AUDIT_RETENTION). This decides which journal lines are audit lines, in one place.
CREATE OR REPLACE FUNCTION firebreak_is_audit_event(p_type text) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$
  SELECT p_type LIKE 'approval.%' OR p_type LIKE 'mitigation.%' OR p_type IN ('run.cancel_requested', 'run.retried');
$$;
