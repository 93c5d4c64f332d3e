// What a long-running process (serve, worker) survives that Node would otherwise die of: a database
// connection dropped under a query whose promise nobody awaits any more (postgres.js rejects it all the
// same: a type fetch at connect, a query a stopped run left behind), and postgres.js 3.4.9 writing to a
// socket it had already closed (porsager/postgres#1154, #1208: thrown from a setImmediate, so no caller
// can catch it; the query it belonged to already failed with CONNECTION_CLOSED and is retried). Both are
// logged. Anything else still ends the process, as it would without these handlers.
import type { Logger } from '../core/logger.ts';
import { isTransientDbError } from '../db/transient.ts';

/** The postgres.js write-after-close crash: a TypeError raised in its connection's nextWrite. */
function isClosedSocketWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    /reading 'write'/.test(err.message) &&
    /postgres[\\/]src[\\/]connection\.js/.test(err.stack ?? '')
  );
}

export function surviveDroppedConnections(logger: Logger): () => void {
  const onRejection = (reason: unknown) => {
    if (isTransientDbError(reason)) {
      logger.warn('a database connection dropped under a query nobody waited for; carrying on', {
        error: (reason as Error).message,
      });
      return;
    }
    logger.error('unhandled promise rejection', { error: (reason as Error)?.stack ?? String(reason) });
    process.exit(1);
  };
  const onException = (err: Error) => {
    if (isClosedSocketWrite(err)) {
      logger.warn('postgres.js wrote to a connection it had closed; carrying on', { error: err.message });
      return;
    }
    logger.error('uncaught exception', { error: err.stack ?? String(err) });
    process.exit(1);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
