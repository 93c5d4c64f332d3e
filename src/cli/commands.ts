// The command table: `firebreak help`, `firebreak <command> --help` and shell completion are built from
// it. Each command lives in its own file and loads what it needs when it runs, so a command that only
// talks to the server starts without the engine, the database drivers or the server code.
import { approvalsCommand, approveCommand, rejectCommand } from './decide.ts';
import { doctorCommand } from './doctor.ts';
import { exportCommand } from './export.ts';
import { gamedayCommand } from './gameday.ts';
import { initCommand } from './init.ts';
import { cancelCommand, incidentsCommand, retryCommand, runsCommand } from './inspect.ts';
import type { Command } from './io.ts';
import { migrateCommand } from './migrate.ts';
import { deadLettersCommand, pauseCommand, resumeCommand } from './operate.ts';
import { postmortemCommand } from './postmortem.ts';
import { runCommand } from './run.ts';
import { runbooksCommand } from './runbooks.ts';
import { serveCommand } from './serve.ts';
import { shellCommands } from './shell.ts';
import { workerCommand } from './worker.ts';

export const commands: Record<string, Command> = {
  run: runCommand,
  runs: runsCommand,
  incidents: incidentsCommand,
  approvals: approvalsCommand,
  approve: approveCommand,
  reject: rejectCommand,
  cancel: cancelCommand,
  retry: retryCommand,
  postmortem: postmortemCommand,
  gameday: gamedayCommand,
  'dead-letters': deadLettersCommand,
  pause: pauseCommand,
  resume: resumeCommand,
  runbooks: runbooksCommand,
  serve: serveCommand,
  worker: workerCommand,
  migrate: migrateCommand,
  export: exportCommand,
  init: initCommand,
  doctor: doctorCommand,
  ...shellCommands,
};
