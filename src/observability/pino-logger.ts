// The Logger interface on pino: one JSON object per line with a level label and an ISO time, the
// bound ids (runId, runbook, incidentId, step) and the line's data. Every line passes through `redact`
// as text just before it is written, so a configured secret never reaches the log, wherever it hides.
import { type DestinationStream, type Logger as Pino, pino } from 'pino';
import type { Logger, LogLevel } from '../core/logger.ts';

export interface PinoLoggerOptions {
  level: LogLevel;
  /** Fields on every line. */
  bindings?: Record<string, unknown>;
  /** Where lines go (default stderr, written synchronously so nothing is lost on exit). */
  write?: (line: string) => void;
  /** Applied to each serialized line (the server passes its secrets redactor). */
  redact?: (text: string) => string;
}

export function pinoLogger(opts: PinoLoggerOptions): Logger {
  const redact = opts.redact;
  const destination: DestinationStream = opts.write
    ? { write: opts.write }
    : pino.destination({ dest: 2, sync: true });
  const base = pino(
    {
      level: opts.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...(redact ? { hooks: { streamWrite: (s: string) => redact(s) } } : {}),
    },
    destination,
  );
  return wrap(base, opts.bindings ?? {});
}

/**
 * Bindings are merged here rather than with pino's child(): a line's data may repeat a bound key
 * (a step function logging its own `step`), and pino would then write the key twice.
 */
function wrap(base: Pino, bindings: Record<string, unknown>): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, data?: Record<string, unknown>): void => {
      if (!base.isLevelEnabled(level)) return;
      base[level]({ ...bindings, ...data }, msg);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => wrap(base, { ...bindings, ...more }),
  };
}
