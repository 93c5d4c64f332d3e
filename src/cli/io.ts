import type { Config } from '../config/config.ts';

/** Where a command writes; tests pass their own. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export interface CommandContext {
  config: Config;
  io: Io;
}

/** One flag of a command: what parseArgs needs, plus what --help and completion show. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in help: `--input <json>`. */
  value?: string;
  description: string;
  default?: string | boolean;
}

export type Options = Readonly<Record<string, OptionSpec>>;

export interface Command {
  summary: string;
  usage: string;
  /** Flags (--help, completion and parse() read them). A command without them parses its own. */
  options?: Options;
  /** Words that may follow the command (completion): `runbooks list|validate|graph`. */
  subcommands?: readonly string[];
  examples?: readonly string[];
  /** The section of `firebreak help` it is listed under. */
  group?: CommandGroup;
  run(args: string[], ctx: CommandContext): Promise<number>;
}

export type CommandGroup = 'server' | 'process' | 'authoring' | 'shell';

/** The documented exit codes. */
export const EXIT = {
  ok: 0,
  /** The run failed, the thing was not found, or the server refused the action (a gate's policy). */
  failed: 1,
  /** Bad arguments or configuration. */
  usage: 2,
  /** The server cannot be reached, or it refused the token. */
  unreachable: 3,
} as const;

/** Bad arguments: main prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {}

/** A failure reported as one line (no stack) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
