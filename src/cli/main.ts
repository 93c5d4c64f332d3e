// `firebreak <command>`: parses the environment once, then hands over to the command. Whatever goes
// wrong ends as one line on stderr and a documented exit code (io.ts EXIT), never a stack trace
// (LOG_LEVEL=debug adds it for an unexpected error).
import { parseConfig } from '../config/config.ts';
import { FirebreakError } from '../core/errors.ts';
import { usageFrom } from './args.ts';
import { commands } from './commands.ts';
import { commandHelp, globalHelp } from './help.ts';
import { CliError, EXIT, type Io, UsageError } from './io.ts';
import { unknownCommand } from './shell.ts';

export async function main(argv: string[], io: Io = processIo(), env = process.env): Promise<number> {
  const [first, ...rest] = argv;
  if (!first) {
    io.err(globalHelp());
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h') return main(['help', ...rest], io, env);
  if (first === '--version' || first === '-V') return main(['version', ...rest], io, env);
  const command = commands[first];
  if (!command) {
    io.err(`firebreak: ${unknownCommand(first)}`);
    return EXIT.usage;
  }
  // --help anywhere before a `--` is help, whatever else the line says (it may not parse).
  const end = rest.indexOf('--');
  if ((end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
    io.out(commandHelp(first, command));
    return EXIT.ok;
  }
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(env);
  } catch (err) {
    io.err(`firebreak ${first}: ${(err as Error).message}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, { config, io });
  } catch (err) {
    return report(first, err, io, config.LOG_LEVEL === 'debug');
  }
}

function report(name: string, err: unknown, io: Io, debug: boolean): number {
  const usage = err instanceof UsageError ? err : usageFrom(err);
  if (usage) {
    io.err(`firebreak ${name}: ${usage.message}`);
    io.err(`usage: firebreak ${commands[name]!.usage}`);
    io.err(`(firebreak help ${name} shows the options and an example)`);
    return EXIT.usage;
  }
  if (err instanceof CliError) {
    io.err(`firebreak ${name}: ${err.message}`);
    const issues = (err as { issues?: { path?: unknown[]; message: string }[] }).issues ?? [];
    for (const i of issues) io.err(`  ${i.path?.join('.') || '(input)'}: ${i.message}`);
    return err.exitCode;
  }
  if (err instanceof FirebreakError) {
    io.err(`firebreak ${name}: ${err.message}`);
    const issues = (err.details as { issues?: { path: unknown[]; message: string }[] } | undefined)?.issues;
    for (const i of issues ?? []) io.err(`  ${i.path.join('.') || '(input)'}: ${i.message}`);
    return EXIT.failed;
  }
  io.err(`firebreak ${name}: ${(err as Error)?.message ?? String(err)}`);
  if (debug && err instanceof Error && err.stack) io.err(err.stack);
  return EXIT.failed;
}

function processIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}
