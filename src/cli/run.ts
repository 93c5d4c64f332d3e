// `firebreak run <runbook> --input <json> [--dry-run] [--follow]`: exit code 0 only when the run succeeded.
import { parseArgs } from 'node:util';
import { isTerminalRun } from '../core/status.ts';
import type { Firebreak } from '../firebreak.ts';
import type { EventRecord } from '../store/records.ts';
import type { Command, Io } from './io.ts';
import { openFirebreak, reportLoadFailures } from './open.ts';

export const runCommand: Command = {
  summary: 'start a run (exit 0 only if it succeeded)',
  usage: 'run <runbook> [--input <json>] [--dry-run] [--follow] [--key <k>]',
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        input: { type: 'string', default: '{}' },
        'dry-run': { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        key: { type: 'string' },
      },
    });
    const runbookId = positionals[0];
    if (!runbookId) {
      ctx.io.err(`usage: firebreak ${this.usage}`);
      return 2;
    }
    let input: unknown;
    try {
      input = JSON.parse(values.input);
    } catch (err) {
      ctx.io.err(`--input is not JSON: ${(err as Error).message}`);
      return 2;
    }
    // The progress lines are the output here; engine info logs would interleave with them.
    const quiet =
      ctx.config.LOG_LEVEL === 'info'
        ? { ...ctx, config: { ...ctx.config, LOG_LEVEL: 'warn' as const } }
        : ctx;
    const fb = await openFirebreak(quiet, { work: true });
    try {
      reportLoadFailures(fb, ctx);
      const { runId, created } = await fb.start(runbookId, input, {
        dryRun: values['dry-run'],
        idempotencyKey: values.key ?? null,
        requestedBy: `cli:${process.env.USER ?? 'unknown'}`,
      });
      if (!created) ctx.io.out(`run ${runId} already exists for key ${values.key}`);
      const run = values.follow
        ? await follow(fb, runId, ctx.io)
        : await fb.result(runId, { timeoutMs: 24 * 3600_000 });
      if (!values.follow)
        ctx.io.out(JSON.stringify({ runId, status: run.status, output: run.output, error: run.error }));
      return run.status === 'succeeded' ? 0 : 1;
    } finally {
      await fb.close();
    }
  },
};

/**
 * Prints the journal of the run as it grows, until the run is final. The status is read before the
 * events: a run seen final has committed its last event, so an empty read after it means the journal
 * is drained. (Read the other way round, a run that finishes between the two reads loses its lines.)
 */
export async function follow(fb: Pick<Firebreak, 'store' | 'engine'>, runId: string, io: Io) {
  let after = 0;
  const started = Date.now();
  for (;;) {
    const run = await fb.store.getRun(runId);
    const events = await fb.store.listEvents({ runId, afterSeq: after });
    for (const e of events) {
      after = e.seq;
      const line = describe(e);
      if (line) io.out(line);
    }
    if (run && isTerminalRun(run.status) && events.length === 0) {
      io.out(`run ${runId} ${run.status} in ${Date.now() - started} ms`);
      if (run.error) io.out(`  error: ${run.error.message}`);
      return run;
    }
    if (events.length === 0) {
      await Promise.race([
        fb.engine.events.waitFor('step.finished', (e) => e.runId === runId, 200).catch(() => undefined),
        fb.engine.events.waitFor('run.finished', (e) => e.runId === runId, 200).catch(() => undefined),
      ]);
    }
  }
}

function describe(e: EventRecord): string | null {
  const data = (e.data ?? {}) as Record<string, unknown>;
  const attempt = data.attempt ? ` (attempt ${data.attempt})` : '';
  const err = (data.error as { message?: string } | undefined)?.message;
  switch (e.type) {
    case 'run.created':
      return `run ${e.runId} created`;
    case 'step.started':
      return `  … ${e.stepKey}${attempt}`;
    case 'step.succeeded':
      return `  ✓ ${e.stepKey}${attempt}`;
    case 'step.skipped':
      return `  - ${e.stepKey} skipped`;
    case 'step.retrying':
      return `  ↻ ${e.stepKey}${attempt} failed: ${err}; retrying in ${data.delayMs} ms`;
    case 'step.failed':
      return `  ✗ ${e.stepKey}${attempt}: ${err}`;
    case 'approval.requested':
      return `  ⏸ ${e.stepKey} waits for approval ${data.approvalId}`;
    case 'mitigation.applied':
      return `  ⚑ ${e.stepKey} applied`;
    case 'mitigation.reverted':
      return `  ↶ ${e.stepKey} reverted`;
    case 'mitigation.revert_failed':
      return `  ‼ ${e.stepKey} REVERT FAILED: ${err}`;
    case 'run.waiting':
      return `  … waiting${data.wakeAt ? ` until ${data.wakeAt}` : ''}`;
    default:
      return null;
  }
}
