// JSON lines with the ids that matter at 3 a.m. (runId, step, incidentId) bound into child loggers.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function jsonLogger(
  level: LogLevel = 'info',
  bindings: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stderr.write(l),
  redact: (text: string) => string = (t) => t,
): Logger {
  const emit = (lvl: LogLevel, msg: string, data?: Record<string, unknown>) => {
    if (rank[lvl] < rank[level]) return;
    write(
      `${redact(JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...bindings, ...data }))}\n`,
    );
  };
  return {
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    child: (b) => jsonLogger(level, { ...bindings, ...b }, write, redact),
  };
}

export const silentLogger: Logger = jsonLogger('silent');
