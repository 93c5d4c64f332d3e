// Opens firebreak the way every command does: the configured database and runbooks folder.
import { secretsOf } from '../config/config.ts';
import { createFirebreak, type Firebreak } from '../firebreak.ts';
import { redactor } from '../incidents/redact.ts';
import { pinoLogger } from '../observability/pino-logger.ts';
import type { CommandContext } from './io.ts';

export async function openFirebreak(ctx: CommandContext, opts: { work: boolean }): Promise<Firebreak> {
  const { config } = ctx;
  return createFirebreak({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.FIREBREAK_DATA_DIR,
    poolSize: config.FIREBREAK_DB_POOL,
    runbooksDir: config.RUNBOOKS_DIR,
    migrate: config.FIREBREAK_MIGRATE,
    // Workers write step outputs and evidence too: the configured secrets are redacted there as in serve.
    secrets: secretsOf(config),
    work: opts.work,
    logger: pinoLogger({ level: config.LOG_LEVEL, redact: redactor(secretsOf(config)).text }),
    engine: {
      ...(config.FIREBREAK_WORKER_ID ? { workerId: config.FIREBREAK_WORKER_ID } : {}),
      maxConcurrentRuns: config.FIREBREAK_MAX_CONCURRENT_RUNS,
      leaseMs: config.FIREBREAK_LEASE_MS,
      heartbeatMs: Math.max(100, Math.floor(config.FIREBREAK_LEASE_MS / 3)),
      pollIntervalMs: config.FIREBREAK_POLL_MS,
    },
  });
}

export function reportLoadFailures(fb: Firebreak, ctx: CommandContext): void {
  for (const f of fb.loadReport.failed) ctx.io.err(`runbook file ${f.path} not loaded: ${f.reason}`);
}

/** Resolves on SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
