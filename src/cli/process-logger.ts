// The JSON logger of a long-running command, on its own: `serve` makes it before the server's modules
// load, to log what opening the database says (retries of an unreachable one) while they do.
import { secretsOf } from '../config/config.ts';
import { redactor } from '../core/redact.ts';
import { pinoLogger } from '../observability/pino-logger.ts';
import type { CommandContext } from './io.ts';

/** The JSON logger of a command, redacting the configured secrets. */
export function processLogger(ctx: Pick<CommandContext, 'config'>) {
  return pinoLogger({ level: ctx.config.LOG_LEVEL, redact: redactor(secretsOf(ctx.config)).text });
}
