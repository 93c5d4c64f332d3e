// The group commit: the step, attempt, journal, evidence, approval and run writes of many runs in one
// call and so one commit. The work is the function firebreak_apply_transitions (drizzle/0002), whose
// plans PostgreSQL caches per connection. $1 owner, $2 payload (see transition-payload.ts), $3 now.
export const applyTransitionsSql =
  'SELECT run_id AS id FROM firebreak_apply_transitions($1, $2::text::jsonb, $3)';
