// `firebreak help [<command>]`, `firebreak version` and `firebreak completion bash|zsh`.
import { parse } from './args.ts';
import { commands } from './commands.ts';
import { completionCommand } from './completion.ts';
import { commandHelp, globalHelp, suggest } from './help.ts';
import { type Command, EXIT, UsageError } from './io.ts';
import { printJson } from './print.ts';
import { VERSION } from './version.ts';

const none = {} as const;

const helpCommand = {
  summary: 'this overview, or the options and an example of one command',
  usage: 'help [<command>]',
  group: 'shell',
  options: none,
  examples: ['firebreak help run'],
  async run(args, { io }) {
    const { positionals } = parse(this, args, 1);
    const name = positionals[0];
    if (!name) {
      io.out(globalHelp());
      return EXIT.ok;
    }
    const command = commands[name];
    if (!command) throw new UsageError(unknownCommand(name));
    io.out(commandHelp(name, command));
    return EXIT.ok;
  },
} satisfies Command & { options: typeof none };

const versionOptions = { json: { type: 'boolean', description: 'print JSON instead of text' } } as const;

const versionCommand = {
  summary: 'the version of firebreak (also --version)',
  usage: 'version [--json]',
  group: 'shell',
  options: versionOptions,
  examples: ['firebreak --version'],
  async run(args, { io }) {
    const { values } = parse(this, args, 0);
    if (values.json) printJson(io, { firebreak: VERSION, node: process.versions.node });
    else io.out(`firebreak ${VERSION} (node ${process.versions.node})`);
    return EXIT.ok;
  },
} satisfies Command & { options: typeof versionOptions };

export function unknownCommand(name: string): string {
  const close = suggest(name);
  return `unknown command "${name}"${close.length ? `; did you mean ${close.join(' or ')}?` : ''} (firebreak help lists them)`;
}

export const shellCommands: Record<string, Command> = {
  completion: completionCommand,
  help: helpCommand,
  version: versionCommand,
};
