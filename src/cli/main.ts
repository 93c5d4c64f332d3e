// `firebreak <command>`: parses the environment once, then hands over to the command.
import { parseConfig } from '../config/config.ts';
import { FirebreakError } from '../core/errors.ts';
import { commands, usage } from './commands.ts';
import type { Io } from './io.ts';

export async function main(argv: string[], io: Io = processIo(), env = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    const config = parseConfig(env);
    return await command.run(rest, { config, io });
  } catch (err) {
    if (err instanceof FirebreakError) {
      io.err(`firebreak ${name}: ${err.message}`);
      const issues = (err.details as { issues?: { path: unknown[]; message: string }[] } | undefined)?.issues;
      for (const i of issues ?? []) io.err(`  ${i.path.join('.') || '(input)'}: ${i.message}`);
      return 1;
    }
    io.err(`firebreak ${name}: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

function processIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}
