-- Many webhook deliveries in one transaction, so one WAL flush serves them all: with one transaction per
-- delivery, bench:ingest spent its time with ~2.5 sessions queued on LWLock:WALWrite.
-- Each item runs firebreak_ingest in its own subtransaction: an item that fails is reported on its
-- row (its sender gets a 5xx and retries) and rolls back alone. Two copies of one delivery at once:
-- the later one hits the delivery's unique index, and run again it finds the first and is a duplicate.
-- Items come sorted by (source, group_key), so batches from several servers take incident locks in one
-- order and do not deadlock. `ord` is the item's position in p. (It reads no table itself; the
-- enable_seqscan setting of firebreak_ingest applies to each nested call.)
CREATE OR REPLACE FUNCTION firebreak_ingest_batch(p jsonb, p_now timestamptz)
RETURNS TABLE (ord int, incident_id uuid, outcome text, run_ids uuid[], error_code text, error_message text)
LANGUAGE plpgsql
AS $$
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
$$;
