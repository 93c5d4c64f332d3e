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

export interface Command {
  summary: string;
  usage: string;
  run(args: string[], ctx: CommandContext): Promise<number>;
}
