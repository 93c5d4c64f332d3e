// The group commit: the step, attempt, journal, evidence, approval and run writes of many runs in one
// call and so one commit. The work is the function firebreak_apply_transitions (drizzle/0017), whose
// plans PostgreSQL caches per connection. $1 owner, $2 payload (see transition-payload.ts), $3 now.
// Rows: (id, null) for each run whose lease held, (id, commit_id) for each commit that had landed before.
export const applyTransitionsSql =
  'SELECT run_id AS id, commit_id FROM firebreak_apply_transitions($1, $2::text::jsonb, $3)';
