// Help text, built from the command table: `firebreak help`, `firebreak help <command>` and
// `firebreak <command> --help` print what the table says, so a command added to the table (with or
// without declared options) has its help, its usage line and its completion at once.
import { commands } from './commands.ts';
import type { Command, CommandGroup, Options } from './io.ts';
import { VERSION } from './version.ts';

const GROUPS: [CommandGroup | 'other', string][] = [
  ['server', 'Talk to a running server (FIREBREAK_URL, FIREBREAK_TOKEN; --local opens the database here)'],
  ['authoring', 'Write runbooks'],
  ['process', 'Run firebreak (these open the database)'],
  ['shell', 'Setup and shell'],
  ['other', 'More'],
];

export const EXIT_CODES =
  'exit codes: 0 ok · 1 the run failed, not found, or refused · 2 usage or configuration · ' +
  '3 server unreachable or token refused';

export function globalHelp(): string {
  const entries = Object.entries(commands);
  const width = Math.max(...entries.map(([name]) => name.length));
  const out = [
    `firebreak ${VERSION}: incident-automation runbook engine`,
    '',
    'usage: firebreak <command> [options]',
  ];
  for (const [group, title] of GROUPS) {
    const inGroup = entries.filter(([, c]) => (c.group ?? 'other') === group);
    if (inGroup.length === 0) continue;
    out.push('', `${title}:`);
    for (const [name, c] of inGroup) out.push(`  ${name.padEnd(width)}  ${c.summary}`);
  }
  out.push(
    '',
    "Run 'firebreak help <command>' (or 'firebreak <command> --help') for its options and an example.",
    'Configuration comes from the environment (FIREBREAK_URL, DATABASE_URL, RUNBOOKS_DIR, …); see README.md.',
    EXIT_CODES,
  );
  return out.join('\n');
}

export function commandHelp(name: string, c: Command): string {
  const out = [`firebreak ${name}: ${c.summary}`, '', `usage: firebreak ${c.usage}`];
  const flags = [...optionLines(c.options ?? {}), ['-h, --help', 'show this help']];
  out.push('', 'options:');
  const width = Math.max(...flags.map(([f]) => f!.length));
  for (const [flag, description] of flags) out.push(`  ${flag!.padEnd(width)}  ${description}`);
  if (c.examples?.length)
    out.push('', c.examples.length === 1 ? 'example:' : 'examples:', ...c.examples.map((e) => `  ${e}`));
  if (c.group === 'server') {
    out.push(
      '',
      'Talks to the server at FIREBREAK_URL (default http://127.0.0.1:8080), as the identity of',
      'FIREBREAK_TOKEN (one of its API_TOKENS); --local opens the database here instead.',
    );
  }
  out.push('', EXIT_CODES);
  return out.join('\n');
}

function optionLines(options: Options): string[][] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}`;
    const fallback = typeof o.default === 'string' ? ` (default ${o.default})` : '';
    return [flag, `${o.description}${fallback}`];
  });
}

/** The commands closest to a mistyped one: `firebreak incident` → incidents. */
export function suggest(word: string): string[] {
  return Object.keys(commands)
    .map((name) => ({ name, d: distance(word, name) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(x.name.length / 3)) || x.name.startsWith(word))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.name);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const keep = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = keep;
    }
  }
  return row[b.length]!;
}
