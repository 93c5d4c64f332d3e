// `firebreak completion bash|zsh`: shell completion generated from the command table (commands, their
// actions and their flags), so it never lags behind the commands.
import { parse, required } from './args.ts';
import { commands } from './commands.ts';
import { type Command, EXIT, type Options, UsageError } from './io.ts';

const GLOBAL_FLAGS = ['--help', '--version'];

function flagsOf(c: Command): string[] {
  const own = Object.entries(c.options ?? {}).flatMap(([name, o]) => [
    `--${name}`,
    ...(o.short ? [`-${o.short}`] : []),
  ]);
  return [...own, '--help', '-h'];
}

/** Words completed after `firebreak <command>`: its actions, then its flags. */
function wordsAfter(name: string, c: Command): string[] {
  if (name === 'help') return Object.keys(commands);
  if (name === 'completion') return ['bash', 'zsh'];
  return [...(c.subcommands ?? []), ...flagsOf(c)];
}

export function bashCompletion(): string {
  const cases = Object.entries(commands).map(
    ([name, c]) => `    ${shellWord(name)}) words=${shellQuote(wordsAfter(name, c).join(' '))} ;;`,
  );
  return [
    '# bash completion for firebreak. Load it with:  source <(firebreak completion bash)',
    '# or install it:  firebreak completion bash > /etc/bash_completion.d/firebreak',
    '_firebreak() {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    '  local cur="${COMP_WORDS[COMP_CWORD]}" words',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    words=${shellQuote([...Object.keys(commands), ...GLOBAL_FLAGS].join(' '))}`,
    '  else',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    '    case "${COMP_WORDS[1]}" in',
    ...cases,
    '    *) words="" ;;',
    '    esac',
    '  fi',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -F _firebreak firebreak',
    '',
  ].join('\n');
}

export function zshCompletion(): string {
  const described = Object.entries(commands).map(([name, c]) => `    ${zshQuote(`${name}:${c.summary}`)}`);
  const cases = Object.entries(commands).map(([name, c]) => {
    const specs = [...zshOptionSpecs(c.options ?? {}), "'(-h --help)'{-h,--help}'[show this help]'"];
    if (name === 'help') specs.push(zshQuote(`1:command:(${Object.keys(commands).join(' ')})`));
    else if (name === 'completion') specs.push(zshQuote('1:shell:(bash zsh)'));
    else if (c.subcommands?.length) specs.push(zshQuote(`1:action:(${c.subcommands.join(' ')})`));
    specs.push(zshQuote('*:argument: '));
    return `    ${name}) _arguments -s ${specs.join(' ')} ;;`;
  });
  return [
    '#compdef firebreak',
    '# zsh completion for firebreak. Load it with:  source <(firebreak completion zsh)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    '# or install it:  firebreak completion zsh > "${fpath[1]}/_firebreak"',
    '_firebreak() {',
    '  local -a commands',
    '  commands=(',
    ...described,
    '  )',
    '  if (( CURRENT == 2 )); then',
    "    _describe -t commands 'firebreak command' commands",
    '    return',
    '  fi',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, not a template
    '  case ${words[2]} in',
    ...cases,
    '  esac',
    '}',
    'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _firebreak "$@"; else compdef _firebreak firebreak; fi',
    '',
  ].join('\n');
}

function zshOptionSpecs(options: Options): string[] {
  return Object.entries(options).map(([name, o]) => {
    const text = `[${o.description.replace(/[[\]:\\]/g, ' ')}]${o.type === 'string' ? `:${name}: ` : ''}`;
    return o.short
      ? `'(-${o.short} --${name})'{-${o.short},--${name}}${zshQuote(text)}`
      : zshQuote(`--${name}${text}`);
  });
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function shellWord(s: string): string {
  if (!/^[\w-]+$/.test(s)) throw new Error(`command name ${s} cannot be completed`);
  return s;
}

function zshQuote(s: string): string {
  return shellQuote(s);
}

const options = {} as const;

export const completionCommand = {
  summary: 'print the bash or zsh completion script',
  usage: 'completion bash|zsh',
  group: 'shell',
  subcommands: ['bash', 'zsh'],
  options,
  examples: [
    'source <(firebreak completion bash)     # in ~/.bashrc',
    'source <(firebreak completion zsh)      # in ~/.zshrc',
  ],
  async run(args, { io }) {
    const { positionals } = parse(this, args, 1);
    const shell = required(positionals, 0, 'the shell: bash or zsh');
    if (shell === 'bash') io.out(bashCompletion().trimEnd());
    else if (shell === 'zsh') io.out(zshCompletion().trimEnd());
    else throw new UsageError(`no completion for "${shell}": bash or zsh`);
    return EXIT.ok;
  },
} satisfies Command & { options: typeof options };
