-- PL/pgSQL caches a generic plan per connection after five calls and keeps it until an ANALYZE or DDL
-- invalidates it. A worker that connected while the tables were small cached sequential scans of runs
-- and steps and kept them as history grew: bench:engine's C=1 latency went from 7 to 15 ms over 4,000
-- runs, and one ANALYZE brought it back (pg_stat_user_tables: ~10,000 step rows read per run).
-- Every statement in these two functions is a keyed lookup, so a scan is never the right plan; with
-- scans priced out the cached plans stay index plans at any table size. (force_custom_plan also cured
-- it but re-planned every statement on every call, which cost more than it saved at C=1.)
ALTER FUNCTION firebreak_apply_transitions(text, jsonb, timestamptz) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION firebreak_ingest(jsonb, timestamptz) SET enable_seqscan = off;
