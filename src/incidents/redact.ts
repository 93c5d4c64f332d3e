// Configured secrets must never be written anywhere a person reads: step outputs, evidence, the
// timeline, dead letters, logs. Every JSON payload on its way to the database or a log passes here.

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
  if (list.length === 0) return { text: (v) => v, json: (v) => JSON.stringify(v) };
  // A secret can appear raw or JSON-escaped inside a serialized payload.
  const needles = [...new Set(list.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const pattern = new RegExp(needles.map(escapeRegExp).join('|'), 'g');
  const text = (v: string) => v.replace(pattern, REDACTED);
  return { text, json: (v) => text(JSON.stringify(v) ?? 'null') };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
