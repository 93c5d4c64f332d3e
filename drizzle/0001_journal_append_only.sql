-- The event journal is append-only: history must not be rewritten, even by a buggy release.
CREATE OR REPLACE FUNCTION firebreak_refuse_journal_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION firebreak_refuse_journal_change();
--> statement-breakpoint
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION firebreak_refuse_journal_change();
