// CLI conventions, for every command in the table: --help and -h (usage, flags, an example; never a stack
// trace), `firebreak help <command>`, --version, --json on every command that prints data, exit 2 for a
// bad flag, and bash/zsh completion generated from the same table. Seen on main: `run --help` and
// `approve --help` printed an ERR_PARSE_ARGS_UNKNOWN_OPTION stack trace, `help run` printed the global
// help, there was no --version, --json only on postmortem, and no completion.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { commands } from '../../src/cli/commands.ts';
import { bashCompletion, zshCompletion } from '../../src/cli/completion.ts';
import type { Command } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { runCli } from '../support/child.ts';

async function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  // Nothing listens there: a command that tried to reach a server would say so (exit 3).
  const env = { LOG_LEVEL: 'silent', FIREBREAK_URL: 'http://127.0.0.1:9' };
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const names = Object.keys(commands);
const STACK = /\n\s+at .+:\d+:\d+/;

describe('help', () => {
  test.each(names)('%s --help, -h and `help %s` print usage, flags and an example', async (name) => {
    const long = await cli([name, '--help']);
    expect(long.code).toBe(0);
    expect(long.err).toBe('');
    expect(long.out).toContain(`usage: firebreak ${commands[name]!.usage}`);
    expect(long.out).toContain('options:');
    expect(long.out).toContain('-h, --help');
    expect(long.out).toMatch(/\nexamples?:\n {2}\S/);
    expect(long.out).toMatch(/exit codes: 0 ok .* 3 server unreachable or token refused/);
    expect(long.out).not.toMatch(STACK);
    for (const [flag, spec] of Object.entries(commands[name]!.options ?? {})) {
      expect(long.out).toContain(`--${flag}`);
      expect(long.out).toContain(spec.description);
    }
    expect((await cli([name, '-h'])).out).toBe(long.out);
    expect((await cli(['help', name])).out).toBe(long.out);
    // --help wins over anything else on the line, even arguments that would not parse.
    expect((await cli([name, '--no-such-flag', 'x', '--help'])).out).toBe(long.out);
  });

  test('the overview lists every command; without a command it is a usage error', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    for (const name of names) expect(help.out).toMatch(new RegExp(`^ {2}${name} +\\S`, 'm'));
    expect((await cli(['--help'])).out).toBe(help.out);
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.err).toBe(help.out);
    const unknown = await cli(['incident']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe(
      'firebreak: unknown command "incident"; did you mean incidents? (firebreak help lists them)',
    );
    expect((await cli(['help', 'nope'])).code).toBe(2);
  });

  test('an unknown flag is a usage error (exit 2) with the usage line, never a stack trace', async () => {
    for (const name of names) {
      const r = await cli([name, '--no-such-flag']);
      expect(r.code, name).toBe(2);
      expect(r.err).toBe(
        `firebreak ${name}: unknown option '--no-such-flag'\nusage: firebreak ${commands[name]!.usage}\n(firebreak help ${name} shows the options and an example)`,
      );
    }
  });

  test('--version, -V and version', async () => {
    const v = await cli(['--version']);
    expect(v).toMatchObject({ code: 0, err: '' });
    expect(v.out).toMatch(/^firebreak \d+\.\d+\.\d+ \(node \d+\.\d+\.\d+\)$/);
    expect((await cli(['-V'])).out).toBe(v.out);
    expect(JSON.parse((await cli(['version', '--json'])).out)).toMatchObject({
      firebreak: expect.any(String),
    });
  });

  test('every command that prints data has --json', () => {
    const printsData = names.filter((n) => !['serve', 'worker', 'migrate', 'completion', 'help'].includes(n));
    for (const name of printsData) expect(Object.keys(commands[name]!.options ?? {}), name).toContain('json');
  });

  test('the real binary: run --help exits 0 with no stack trace (the finding as reported)', async () => {
    for (const argv of [
      ['run', '--help'],
      ['approve', '--help'],
    ]) {
      const r = await runCli(argv, {});
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain(`usage: firebreak ${argv[0]} `);
      expect(r.stdout).not.toContain('ERR_PARSE_ARGS');
    }
  });
});

describe('completion', () => {
  // The test below registers a stand-in command; the real table comes back after it.
  const realInit = commands.init;
  afterEach(() => {
    if (realInit) commands.init = realInit;
    else delete commands.init;
  });

  async function complete(line: string[]): Promise<string[]> {
    const script = `${bashCompletion()}\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${line.length - 1}; _firebreak; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script]);
    return stdout.split('\n').filter(Boolean);
  }

  test('bash completes commands, actions and flags from the command table', async () => {
    expect(await complete(['firebreak', 'ru'])).toEqual(['run', 'runs', 'runbooks']);
    expect(await complete(['firebreak', 'run', '--fo'])).toEqual(['--follow']);
    expect(await complete(['firebreak', 'runbooks', 'v'])).toEqual(['validate']);
    expect(await complete(['firebreak', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(await complete(['firebreak', 'help', 'ga'])).toEqual(['gameday']);
    expect(await complete(['firebreak', '--v'])).toEqual(['--version']);
  });

  test('a command added to the table has its help and completion at once', async () => {
    // A command with only a summary, a usage and run(), registered as `init` would be.
    const init: Command = {
      summary: 'write a starter runbook folder',
      usage: 'init [<dir>]',
      run: async () => 0,
    };
    commands.init = init;
    expect(await complete(['firebreak', 'in'])).toEqual(['incidents', 'init']);
    const help = await cli(['init', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('usage: firebreak init [<dir>]');
    expect((await cli(['help'])).out).toMatch(/^ {2}init +write a starter runbook folder$/m);
    expect(zshCompletion()).toContain("'init:write a starter runbook folder'");
  });

  test('zsh: a #compdef script describing every command and its flags', async () => {
    const zsh = zshCompletion();
    expect(zsh.startsWith('#compdef firebreak\n')).toBe(true);
    for (const name of names) expect(zsh).toContain(`    ${name}) _arguments -s `);
    expect(zsh).toContain("'(-f --follow)'{-f,--follow}'[print each step as it happens]'");
    expect(zsh).toContain("'1:action:(list validate graph)'");
    const r = await cli(['completion', 'zsh']);
    expect(r.out).toBe(zsh.trimEnd());
    expect((await cli(['completion', 'bash'])).out).toBe(bashCompletion().trimEnd());
    expect((await cli(['completion', 'fish'])).code).toBe(2);
  });
});
