-- The event journal is append-only: history must not be rewritten, even by a buggy release (the
-- triggers events_append_only and events_no_truncate call this). Only the pruner may delete, and says
-- so for its own transaction with set_config('firebreak.pruning', 'on', true). UPDATE and TRUNCATE stay
-- refused for all.
CREATE OR REPLACE FUNCTION firebreak_refuse_journal_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('firebreak.pruning', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
