import type { Command } from './io.ts';
import { openFirebreak, reportLoadFailures, untilSignal } from './open.ts';

export const workerCommand: Command = {
  summary: 'claim and execute runs until SIGTERM (run several on one PostgreSQL to scale out)',
  usage: 'worker',
  async run(_args, ctx) {
    const fb = await openFirebreak(ctx, { work: true });
    reportLoadFailures(fb, ctx);
    ctx.io.err(
      `firebreak worker ${fb.engine.workerId}: ${fb.registry.list().length} runbooks, ` +
        `${ctx.config.DATABASE_URL ? 'PostgreSQL' : `PGlite (${ctx.config.FIREBREAK_DATA_DIR})`}`,
    );
    const signal = await untilSignal();
    ctx.io.err(`${signal}: finishing running steps, releasing leases`);
    await fb.close();
    return 0;
  },
};
