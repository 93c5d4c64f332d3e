// Small pure helpers the pages share: escaping for the few places that build HTML strings (the Markdown
// renderer), the URL check every link from alert or runbook data goes through, times and status colours.
import { tryOf } from '../core/journal-text.ts';
import type { EventRecord } from '../store/records.ts';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/**
 * The URL when it is safe to put in href/src: http(s), or a path on this site. `javascript:`, `data:`
 * and anything else that could run script or smuggle content comes back null.
 */
export function safeUrl(raw: string | null | undefined): string | null {
  const u = raw?.trim();
  if (!u) return null;
  // Browsers drop tabs and newlines inside URLs, so "java\tscript:" must not slip past the scheme check.
  if (hasControl(u) || u.includes('\\')) return null;
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  if (u.startsWith('#')) return u;
  try {
    const parsed = new URL(u);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/** A local path to come back to after signing in or an action (never another site). */
export function localPath(raw: string | null | undefined, fallback = '/'): string {
  return raw && /^\/(?![/\\])/.test(raw) && !hasControl(raw) ? raw : fallback;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export function ago(from: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** UTC, to the second: what an SRE compares with graphs and logs. */
export function utc(d: Date | null | undefined): string {
  return d ? `${d.toISOString().slice(0, 19).replace('T', ' ')}Z` : '–';
}

export type Tone = 'ok' | 'run' | 'wait' | 'bad' | 'dim' | 'rev';

const TONES: Record<string, Tone> = {
  succeeded: 'ok',
  approved: 'ok',
  resolved: 'ok',
  running: 'run',
  queued: 'run',
  compensating: 'run',
  waiting: 'wait',
  awaiting_approval: 'wait',
  pending: 'dim',
  skipped: 'dim',
  cancelled: 'dim',
  failed: 'bad',
  rejected: 'bad',
  expired: 'bad',
  revert_failed: 'bad',
  firing: 'bad',
  reverted: 'rev',
  compensated: 'rev',
};

export function tone(status: string): Tone {
  return TONES[status] ?? 'dim';
}

/** What a timeline row says besides its type and step. */
export function eventDetail(e: EventRecord): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  const again = tryOf(e);
  if (again) parts.push(`try ${again}`);
  if (typeof d.runbook === 'string') parts.push(`runbook ${d.runbook}`);
  if (typeof d.fingerprint === 'string') parts.push(`alert ${d.fingerprint}`);
  if (typeof d.decision === 'string') parts.push(d.decision);
  if (typeof d.by === 'string') parts.push(`by ${d.by}${typeof d.via === 'string' ? ` via ${d.via}` : ''}`);
  if (typeof d.reason === 'string') parts.push(`reason: ${d.reason}`);
  if (typeof d.summary === 'string' && d.summary) parts.push(d.summary);
  if (typeof d.label === 'string' && d.label) parts.push(d.label);
  if (typeof d.delayMs === 'number') parts.push(`retry in ${d.delayMs} ms`);
  const err = (d.error as { message?: unknown } | undefined)?.message;
  if (typeof err === 'string') parts.push(err);
  else if (typeof d.error === 'string') parts.push(d.error);
  return parts.join(' · ');
}

export function short(v: unknown, max = 160): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
