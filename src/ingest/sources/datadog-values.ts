// Value formats of Datadog template variables.
import { plausibleDate } from './common.ts';

/**
 * $TAGS and $ALERT_SCOPE: comma-separated "key:value" tags. The value keeps any further colons (urls). A bare
 * tag has no value to match on and is left out of the labels (the raw $TAGS stays in the annotations); a key
 * given twice keeps all its values, comma-joined.
 */
export function parseTagList(text: string | null | undefined): Record<string, string> {
  const values = new Map<string, string[]>();
  for (const tag of (text ?? '').split(',')) {
    const colon = tag.indexOf(':');
    if (colon <= 0) continue;
    const key = tag.slice(0, colon).trim();
    const value = tag.slice(colon + 1).trim();
    if (key === '' || value === '') continue;
    const seen = values.get(key) ?? [];
    if (!seen.includes(value)) seen.push(value);
    values.set(key, seen);
  }
  return Object.fromEntries([...values].map(([key, list]) => [key, list.join(',')]));
}

/** $DATE and $LAST_UPDATED are epoch milliseconds; epoch seconds ($DATE_POSIX) and ISO strings are accepted too. */
export function parseEpochOrDate(value: string | null | undefined): Date | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  return plausibleDate(/^\d+$/.test(text) ? fromEpoch(Number(text)) : new Date(text));
}

/** Below 1e11 an epoch is taken as seconds: as milliseconds it would fall in 1973. */
function fromEpoch(epoch: number): Date {
  return new Date(epoch < 1e11 ? epoch * 1000 : epoch);
}
