// `firebreak migrate`: applies the migrations and exits (serve and worker also apply them at start).
import { parse } from './args.ts';
import type { Command } from './io.ts';

const options = {} as const;

export const migrateCommand = {
  summary: 'apply database migrations and exit',
  usage: 'migrate',
  group: 'process',
  options,
  examples: ['DATABASE_URL=postgres://… firebreak migrate'],
  async run(args, { config, io }) {
    parse(this, args, 0);
    const [{ configOptionsOf }, { connectDatabase }] = await Promise.all([
      import('../config/config.ts'),
      import('../store/maintenance.ts'),
    ]);
    const { databaseUrl, dataDir, listenUrl, poolMode, startupTimeoutMs } = configOptionsOf(config);
    const driver = await connectDatabase({
      databaseUrl,
      dataDir,
      listenUrl,
      poolMode,
      startupTimeoutMs,
      migrate: true,
      poolSize: 1,
    });
    await driver.close();
    io.out(
      `migrations applied to ${config.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${config.FIREBREAK_DATA_DIR}`}`,
    );
    return 0;
  },
} satisfies Command & { options: typeof options };
