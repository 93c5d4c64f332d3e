// Opens firebreak the way every command does: the configured database and runbooks folder.
import { redactor } from '../core/redact.ts';
import { createFirebreak, type Firebreak, firebreakOptionsOf } from '../firebreak.ts';
import { pinoLogger } from '../observability/pino-logger.ts';
import type { CommandContext } from './io.ts';

export { processLogger } from './process-logger.ts';

export async function openFirebreak(ctx: CommandContext, opts: { work: boolean }): Promise<Firebreak> {
  const options = firebreakOptionsOf(ctx.config);
  const redact = redactor(options.secrets);
  return createFirebreak({
    ...options,
    redactor: redact,
    work: opts.work,
    logger: pinoLogger({ level: ctx.config.LOG_LEVEL, redact: redact.text }),
  });
}

export function reportLoadFailures(fb: Firebreak, ctx: CommandContext): void {
  for (const f of fb.loadReport.failed) ctx.io.err(`runbook file ${f.path} not loaded: ${f.reason}`);
}
