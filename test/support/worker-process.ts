// A firebreak worker in a process of its own, for the crash, takeover and many-worker tests and for
// bench:recovery: `node --import tsx test/support/worker-process.ts`, configured by the environment.
//
//   DATABASE_URL   the database (migrated, with the side_effects table)
//   WORKER_ID      engine worker id
//   LEASE_MS, HEARTBEAT_MS, POLL_MS, MAX_RUNS   engine settings
//   BLOCK_STEP     a step that, after its side effect, reports step.blocked and waits until the process
//                  dies (or its signal aborts): the window a test kills the worker in
//
// Every step of the side-effects runbook first inserts a side_effects row: that is its side effect.
// stdout carries one JSON line per event (ready, run.claimed, step.started, step.blocked, step.finished,
// run.parked, run.finished); logs go to stderr.
import postgres from 'postgres';
import { z } from 'zod';
import { jsonLogger } from '../../src/core/logger.ts';
import { createFirebreak } from '../../src/firebreak.ts';
import { budgetedSideEffectRunbook } from './budgeted-side-effects.ts';
import { directUrlFor } from './db.ts';
import { SIDE_EFFECT_STEPS, sideEffectRunbook } from './side-effects.ts';

const env = z
  .object({
    DATABASE_URL: z.string().startsWith('postgres'),
    WORKER_ID: z.string().min(1),
    LEASE_MS: z.coerce.number().int().positive().default(1_500),
    HEARTBEAT_MS: z.coerce.number().int().positive().default(300),
    POLL_MS: z.coerce.number().int().positive().default(200),
    MAX_RUNS: z.coerce.number().int().positive().default(200),
    BLOCK_STEP: z.enum(SIDE_EFFECT_STEPS).optional(),
  })
  .parse(process.env);

const say = (event: string, data: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ event, workerId: env.WORKER_ID, pid: process.pid, ...data })}\n`);

const sql = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {}, prepare: false });

const rb = sideEffectRunbook(async (step, ctx) => {
  await sql`insert into side_effects (run_id, step, idempotency_key, attempt, pid)
            values (${ctx.run.id}, ${step}, ${ctx.idempotencyKey}, ${ctx.step.attempt}, ${process.pid})`;
  if (step === env.BLOCK_STEP) {
    say('step.blocked', { runId: ctx.run.id, step, attempt: ctx.step.attempt });
    await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  }
  return { step, pid: process.pid };
});

// Its apply is a side_effects row too (step 'apply'): the budget test counts them across processes.
const budgeted = budgetedSideEffectRunbook(async (ctx) => {
  await sql`insert into side_effects (run_id, step, idempotency_key, attempt, pid)
            values (${ctx.run.id}, 'apply', ${ctx.idempotencyKey}, ${ctx.step.attempt}, ${process.pid})`;
  return { pid: process.pid };
});

const fb = await createFirebreak({
  databaseUrl: env.DATABASE_URL,
  // Behind the pooled pass's PgBouncer: LISTEN and migrations on the server itself.
  listenUrl: directUrlFor(env.DATABASE_URL),
  poolMode: process.env.FIREBREAK_DB_POOL_MODE === 'transaction' ? 'transaction' : 'session',
  poolSize: 4,
  runbooks: [rb, budgeted],
  logger: jsonLogger('warn', { workerId: env.WORKER_ID }),
  engine: {
    workerId: env.WORKER_ID,
    leaseMs: env.LEASE_MS,
    heartbeatMs: env.HEARTBEAT_MS,
    pollIntervalMs: env.POLL_MS,
    maxConcurrentRuns: env.MAX_RUNS,
  },
});

const { events } = fb.engine;
events.on('run.claimed', (e) => say('run.claimed', e));
events.on('step.started', (e) => say('step.started', e));
events.on('step.finished', (e) => say('step.finished', e));
events.on('run.parked', (e) => say('run.parked', { runId: e.runId }));
events.on('run.finished', (e) => say('run.finished', e));

say('ready');
