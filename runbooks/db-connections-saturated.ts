// A service waits for database connections. Two causes, two mitigations: sessions left idle by other
// clients hold the database's connection slots (end them through the DB admin service), and the
// service's own pool is too small for its load (raise it through its feature flag, with approval,
// only when the database has room for it). The pool change is reverted by restoring the old value.
import { runbook, z } from 'firebreak';
import { dbAdmin } from './lib/db-admin.ts';
import { flags } from './lib/flags.ts';
import type { Http } from './lib/http.ts';
import { prometheus, q } from './lib/prometheus.ts';

const input = z.object({
  service: z.string().min(1),
  database: z.string().min(1),
  /** Share of max_connections in use above which the database counts as saturated. */
  threshold: z.number().min(0).max(1).default(0.9),
  /** Sessions idle at least this long are ended. */
  idleForSeconds: z.number().int().min(60).default(600),
  excludeUsers: z.array(z.string()).default(['postgres', 'replication']),
  /** The flag holding the service's pool size; default db-pool-size.<service>. */
  poolFlag: z.string().optional(),
  /** The pool grows by this factor, up to maxPoolSize. */
  growBy: z.number().min(1.1).max(3).default(1.5),
  maxPoolSize: z.number().int().min(1).default(50),
});

type Input = z.output<typeof input>;

const flagOf = (i: Input) => i.poolFlag ?? `db-pool-size.${i.service}`;

/** pg_stat_activity by state (postgres_exporter) against max_connections. */
async function connections(i: Input, http: Http) {
  const prom = prometheus(http);
  const db = `datname=${q(i.database)}`;
  const [byState, max] = await Promise.all([
    prom.query(`sum by (state) (pg_stat_activity_count{${db}})`),
    prom.scalar(`max(pg_settings_max_connections)`),
  ]);
  const states = Object.fromEntries(byState.map((s) => [s.labels.state ?? 'unknown', s.value]));
  const used = byState.reduce((n, s) => n + s.value, 0);
  return { used, max, ratio: max ? used / max : null, byState: states };
}

/** Requests waiting for a connection in the service's pool (OpenTelemetry db.client.connections.*). */
const pendingQuery = (i: Input) => `sum(db_client_connections_pending_requests{service=${q(i.service)}})`;

const grown = (i: Input, size: number) => Math.min(i.maxPoolSize, Math.ceil(size * i.growBy));

interface PoolChange {
  flag: string;
  from: number;
  to: number;
}

const pct = (r: number | null | undefined) => (r == null ? 'no data' : `${(r * 100).toFixed(0)}%`);

export const dbConnectionsSaturated = runbook({
  id: 'db-connections-saturated',
  title: 'Database connections saturated',
  description: 'Ends long-idle sessions, then raises the service pool size within the headroom it freed.',
  triggers: [{ alertname: 'DatabaseConnectionsSaturated' }, { alertname: 'DbClientPoolExhausted' }],
  input,
  fromAlert: (alert) => ({
    service: alert.labels.service ?? '',
    database: alert.labels.datname ?? alert.labels.database ?? '',
  }),
  concurrency: { key: (i) => i.database, limit: 1 },
  gameDays: [
    {
      id: 'wednesday-drill',
      cron: '30 11 * * 3',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      // Threshold 0 exercises the session cleanup on staging; the pool step, which needs the database
      // below the threshold, is skipped in this drill.
      input: { service: 'orders', database: 'orders_staging', threshold: 0 },
      targets: { mitigateWithin: '10m', maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ input: i, steps }) => {
    const before = steps.connections as { ratio: number | null; byState: Record<string, number> } | undefined;
    const ended = steps.endIdleSessions as { terminated: number } | undefined;
    const pool = steps.raisePool as PoolChange | undefined;
    // Sorted: the output went through jsonb, which does not keep key order.
    const states = Object.entries(before?.byState ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    return [
      {
        title: 'Connections',
        body: [
          `${i.database} was at ${pct(before?.ratio)} of max_connections (${states || 'no data'}).`,
          ended
            ? `${ended.terminated} sessions idle for ${i.idleForSeconds} s or more were ended.`
            : 'No session was ended.',
          pool
            ? `The pool of ${i.service} was raised from ${pool.from} to ${pool.to} (flag ${pool.flag}). Decide whether to keep it: the run leaves it raised.`
            : 'The pool size was not changed.',
        ].join('\n\n'),
      },
    ];
  },
})
  .diagnostic('connections', async ({ input: i, http, attach }) => {
    const c = await connections(i, http);
    attach({
      kind: 'table',
      title: `Sessions on ${i.database} by state`,
      content: { columns: ['state', 'sessions'], rows: Object.entries(c.byState) },
    });
    return c;
  })
  .diagnostic('pool', { needs: [] }, async ({ input: i, http }) => {
    const flag = await flags(http).get<number>(flagOf(i));
    const pending = (await prometheus(http).scalar(pendingQuery(i))) ?? 0;
    return { size: flag.value, version: flag.version, pending };
  })
  .mitigation('endIdleSessions', {
    needs: ['connections'],
    when: ({ input: i, steps }) =>
      steps.connections.ratio !== null &&
      steps.connections.ratio > i.threshold &&
      (steps.connections.byState.idle ?? 0) > 0,
    dryRun: ({ input: i, steps }) => ({
      wouldEnd: `up to ${steps.connections.byState.idle ?? 0} sessions idle ≥ ${i.idleForSeconds} s on ${i.database}`,
      excludeUsers: i.excludeUsers,
    }),
    apply: async ({ input: i, steps, http, idempotencyKey, attach }) => {
      const { terminated } = await dbAdmin(http).terminateSessions(
        i.database,
        {
          state: 'idle',
          idleForSeconds: i.idleForSeconds,
          excludeUsers: i.excludeUsers,
          limit: Math.ceil(steps.connections.byState.idle ?? 0),
        },
        idempotencyKey,
      );
      attach({
        kind: 'table',
        title: `Sessions ended on ${i.database}`,
        content: {
          columns: ['pid', 'user', 'application', 'idle (s)'],
          rows: terminated.map((s) => [s.pid, s.user, s.application, s.idleSeconds]),
        },
      });
      return { terminated: terminated.length };
    },
    verify: {
      after: '1m',
      onFail: 'continue',
      check: async ({ input: i, http }) => ((await connections(i, http)).ratio ?? 1) <= i.threshold,
    },
    // Ended sessions cannot be restored; their clients reconnect on their own when they need to.
    revert: ({ applied }) => ({ nothingToUndo: true, ended: applied.terminated }),
  })
  .diagnostic('afterCleanup', { needs: ['endIdleSessions'] }, async ({ input: i, http }) => {
    const c = await connections(i, http);
    const pending = (await prometheus(http).scalar(pendingQuery(i))) ?? 0;
    return { ratio: c.ratio, pending };
  })
  .mitigation('raisePool', {
    needs: ['afterCleanup', 'pool'],
    when: ({ input: i, steps }) =>
      steps.afterCleanup.pending > 0 &&
      steps.afterCleanup.ratio !== null &&
      steps.afterCleanup.ratio < i.threshold &&
      grown(i, steps.pool.size) > steps.pool.size,
    approval: { groups: ['sre-oncall', 'dba'], timeout: '15m', onTimeout: 'reject' },
    dryRun: ({ input: i, steps }) => ({
      wouldSet: flagOf(i),
      from: steps.pool.size,
      to: grown(i, steps.pool.size),
    }),
    // Conditional on the version read by the diagnostic: if someone changed the flag meanwhile, stop
    // (412, not retried) rather than overwrite their value.
    apply: async ({ input: i, steps, http, idempotencyKey }): Promise<PoolChange> => {
      const to = grown(i, steps.pool.size);
      await flags(http).set(flagOf(i), {
        value: to,
        ifVersion: steps.pool.version,
        reason: `firebreak: ${i.service} waits for connections`,
        idempotencyKey,
      });
      return { flag: flagOf(i), from: steps.pool.size, to };
    },
    verify: {
      after: '5m',
      check: async ({ input: i, http }) => ((await prometheus(http).scalar(pendingQuery(i))) ?? 0) === 0,
    },
    revert: async ({ http, applied, idempotencyKey }) =>
      flags(http).set(applied.flag, {
        value: applied.from,
        reason: 'firebreak: revert of a pool size change',
        idempotencyKey: `${idempotencyKey}:revert`,
      }),
  })
  .notify('announce', {
    message: ({ input: i, steps, run }) => {
      if (run.dryRun)
        return `${i.database} (dry run): ${pct(steps.connections.ratio)} of max_connections; see the run for what would change.`;
      const parts = [`${i.database}: ${pct(steps.afterCleanup.ratio)} of max_connections`];
      if (steps.endIdleSessions) parts.push(`${steps.endIdleSessions.terminated} idle sessions ended`);
      if (steps.raisePool) parts.push(`pool of ${i.service} raised to ${steps.raisePool.to}`);
      return parts.join('; ');
    },
  });
