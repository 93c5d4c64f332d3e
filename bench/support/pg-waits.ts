// A sampling profile of PostgreSQL sessions ("average active sessions"): every few milliseconds, what each
// backend of one database is doing — running (on CPU), waiting for the WAL flush of a commit, for a lock,
// or idle in a transaction waiting for its client. Divided by the number of samples, a count reads as
// "this many backends were in this state on average".
import type postgres from 'postgres';

export interface WaitProfile {
  samples: number;
  /** "<what the session runs>: <state>" → average number of backends in that state. */
  average: Record<string, number>;
}

export function sampleWaits(sql: postgres.Sql, database: string, everyMs = 10): () => Promise<WaitProfile> {
  const counts = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rows = await sql<{ kind: string; what: string }[]>`
        select case when query like '%firebreak_ingest%' then 'ingest' else 'engine/other' end as kind,
               case when state = 'active' and wait_event is null then 'on CPU'
                    when state = 'active' then wait_event_type || ':' || wait_event
                    else state end as what
        from pg_stat_activity
        where datname = ${database} and pid <> pg_backend_pid() and backend_type = 'client backend'
          and state <> 'idle'`;
      samples++;
      for (const r of rows) {
        const key = `${r.kind}: ${r.what}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    const average = Object.fromEntries(
      [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => [k, Math.round((n / Math.max(1, samples)) * 100) / 100]),
    );
    return { samples, average };
  };
}
