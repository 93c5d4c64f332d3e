import { connect } from '../db/driver.ts';
import type { Command } from './io.ts';

export const migrateCommand: Command = {
  summary: 'apply database migrations and exit',
  usage: 'migrate',
  async run(_args, { config, io }) {
    const driver = await connect({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.FIREBREAK_DATA_DIR,
      migrate: true,
    });
    await driver.close();
    io.out(
      `migrations applied to ${config.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${config.FIREBREAK_DATA_DIR}`}`,
    );
    return 0;
  },
};
