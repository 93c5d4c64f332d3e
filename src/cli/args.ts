// Argument parsing for commands that declare their flags: node:util parseArgs in strict mode, with its
// errors turned into usage errors (exit 2 with the command's usage), never a stack trace.
import { parseArgs } from 'node:util';
import { type Command, type OptionSpec, type Options, UsageError } from './io.ts';

/** Flags several commands share. */
export const JSON_FLAG = {
  json: { type: 'boolean', description: 'print JSON instead of text' },
} as const satisfies Options;

export const LOCAL_FLAG = {
  local: {
    type: 'boolean',
    description:
      'open the database here instead of asking the server (needs the PGlite directory free, or DATABASE_URL)',
  },
} as const satisfies Options;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S extends { default: string }
    ? string
    : string | undefined;

export type Values<O extends Options> = { -readonly [K in keyof O]: ValueOf<O[K]> };

export interface Parsed<O extends Options> {
  values: Values<O>;
  positionals: string[];
}

/** Parses `args` with the command's options; at most `maxPositionals` words besides the flags. */
export function parse<O extends Options>(
  command: Command & { options: O },
  args: string[],
  maxPositionals = Number.POSITIVE_INFINITY,
): Parsed<O> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> =
    {};
  for (const [name, o] of Object.entries(command.options)) {
    const fallback = o.default ?? (o.type === 'boolean' ? false : undefined);
    config[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(fallback === undefined ? {} : { default: fallback }),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageFrom(err) ?? err;
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return { values: parsed.values as Values<O>, positionals: parsed.positionals };
}

/** node:util parseArgs errors, as one line for a human. */
export function usageFrom(err: unknown): UsageError | null {
  const code = (err as { code?: string }).code ?? '';
  if (!code.startsWith('ERR_PARSE_ARGS')) return null;
  // "Unknown option '--x'. To specify a positional argument starting with a '-', …": the first sentence.
  const first = (err as Error).message.split(/\.\s/)[0] ?? (err as Error).message;
  return new UsageError(
    first
      .replace(/^Option '(--[\w-]+)(?: <value>)?' argument missing$/, "option '$1' needs a value")
      .replace(/^Unknown option/, 'unknown option'),
  );
}

/** The one positional a command needs, or a usage error naming it. */
export function required(positionals: readonly string[], index: number, what: string): string {
  const v = positionals[index];
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}
