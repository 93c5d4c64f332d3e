// Configured secrets must never be written anywhere a person reads: step outputs, evidence, the
// timeline, dead letters, logs. Every JSON payload on its way to the database or a log passes here.
// It also makes text storable: PostgreSQL's text and jsonb cannot hold U+0000, and jsonb refuses lone
// surrogates, so a sender's label with either would otherwise fail the whole write (a 5xx, retried
// forever). Both become U+FFFD, the replacement character.

export interface Redactor {
  text(value: string): string;
  /** JSON.stringify with every secret value replaced. */
  json(value: unknown): string;
}

export const REDACTED = '[REDACTED]';

export function redactor(secrets: readonly (string | undefined)[]): Redactor {
  // Short values would redact ordinary words; secrets are long random strings.
  const list = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
  if (list.length === 0)
    return { text: storableText, json: (v) => storableJson(JSON.stringify(v) ?? 'null') };
  // A secret can appear raw or JSON-escaped inside a serialized payload.
  const needles = [...new Set(list.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const pattern = new RegExp(needles.map(escapeRegExp).join('|'), 'g');
  const hide = (v: string) => v.replace(pattern, REDACTED);
  return {
    text: (v) => storableText(hide(v)),
    json: (v) => storableJson(hide(JSON.stringify(v) ?? 'null')),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what this looks for.
const UNSTORABLE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function storableText(v: string): string {
  return v.replace(UNSTORABLE_CHAR, '\ufffd');
}

// JSON.stringify writes U+0000 as \u0000 and a lone surrogate as \udXXX (a paired one stays raw), so
// these escapes are exactly the unstorable characters; an escaped backslash before them ("\\u0000" is
// the text \u0000) is left alone by counting the backslashes.
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

function storableJson(v: string): string {
  return v.includes('\\u') ? v.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : v;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
