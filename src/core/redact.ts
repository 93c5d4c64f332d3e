// Secrets must never be written anywhere a person reads: step outputs, errors, evidence, the timeline,
// dead letters, Slack, logs. Every JSON payload on its way to the database, Slack or a log passes here.
// A secret is hidden as written, JSON-escaped (inside a serialized payload), URL-encoded, and base64
// encoded (standard and URL-safe, at each of the three byte alignments, so `Basic base64(user:secret)`
// loses it too). Runbooks can add secrets while they run (`ctx.secret`), so the set only grows.
// It also makes text storable: PostgreSQL's text and jsonb cannot hold U+0000, and jsonb refuses lone
// surrogates, so a sender's label with either would otherwise fail the whole write (a 5xx, retried
// forever). Both become U+FFFD, the replacement character.

export interface Redactor {
  text(value: string): string;
  /** JSON.stringify with every secret value replaced. */
  json(value: unknown): string;
  /** Hides these values from now on too (shorter than MIN_SECRET_LENGTH: ignored). */
  add(values: readonly (string | undefined)[]): void;
}

export const REDACTED = '[REDACTED]';

/** Shorter values would redact ordinary words: secrets are long random strings (config refuses shorter). */
export const MIN_SECRET_LENGTH = 8;

export function redactor(secrets: readonly (string | undefined)[] = []): Redactor {
  const known = new Set<string>();
  let pattern: RegExp | null = null;
  const hide = (v: string) => (pattern ? v.replace(pattern, REDACTED) : v);
  const add = (values: readonly (string | undefined)[]) => {
    const fresh = values.filter(
      (s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH && !known.has(s),
    );
    if (fresh.length === 0) return;
    for (const s of fresh) known.add(s);
    // Longest first, so a secret that contains another is hidden whole.
    const needles = [...new Set([...known].flatMap(forms))].sort((a, b) => b.length - a.length);
    pattern = new RegExp(needles.map(escapeRegExp).join('|'), 'g');
  };
  add(secrets);
  return {
    text: (v) => storableText(hide(v)),
    json: (v) => storableJson(hide(JSON.stringify(v) ?? 'null')),
    add,
  };
}

/** Every way a secret may be written: as is, JSON-escaped, URL-encoded, base64 (std and URL-safe). */
function forms(secret: string): string[] {
  const out = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];
  const bytes = Buffer.from(secret, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    // Preceded by `shift` other bytes, the secret's base64 has a middle that depends on it alone: drop
    // the first quartet (shared with what comes before) and a last partial one (shared with what follows).
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const end = 4 * Math.floor((shift + bytes.length) / 3);
    const core = encoded.slice(shift === 0 ? 0 : 4, end);
    if (core.length >= MIN_SECRET_LENGTH) out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
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
