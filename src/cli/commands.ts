// The command table. Each command lives in its own file; this is the index `firebreak --help` prints.
import { approveCommand, rejectCommand } from './decide.ts';
import { gamedayCommand } from './gameday.ts';
import { initCommand } from './init.ts';
import { cancelCommand, deadLettersCommand, incidentsCommand } from './inspect.ts';
import type { Command } from './io.ts';
import { migrateCommand } from './migrate.ts';
import { postmortemCommand } from './postmortem.ts';
import { runCommand } from './run.ts';
import { runbooksCommand } from './runbooks.ts';
import { serveCommand } from './serve.ts';
import { workerCommand } from './worker.ts';

export const commands: Record<string, Command> = {
  serve: serveCommand,
  worker: workerCommand,
  migrate: migrateCommand,
  run: runCommand,
  runbooks: runbooksCommand,
  incidents: incidentsCommand,
  approve: approveCommand,
  reject: rejectCommand,
  cancel: cancelCommand,
  gameday: gamedayCommand,
  'dead-letters': deadLettersCommand,
  postmortem: postmortemCommand,
  init: initCommand,
};

export function usage(): string {
  const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(58)} ${c.summary}`);
  return `usage: firebreak <command>\n\n${lines.join('\n')}\n\nConfiguration comes from the environment (DATABASE_URL, RUNBOOKS_DIR, …); see README.md.`;
}
