import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertBatch, AlertStatus } from '../../core/alert.ts';

/**
 * What a source parser makes of one request body.
 * `schema`: not the sender's shape, answered with 422 and the issues.
 * `unroutable`: the right shape but no incident can come of it; kept as a dead letter so nothing is dropped.
 */
export type ParseResult =
  | { ok: true; batch: AlertBatch }
  | { ok: false; kind: 'schema'; issues: z.core.$ZodIssue[] }
  | { ok: false; kind: 'unroutable'; reason: string };

export type ParseFailure = Exclude<ParseResult, { ok: true }>;

export const alertStatusSchema = z.enum(['firing', 'resolved']);

/** Labels and annotations. Go senders marshal an empty map as `null`, so schemas make these `.nullish()`. */
export const stringMapSchema = z.record(z.string(), z.string());

export function parsed(batch: AlertBatch): ParseResult {
  return { ok: true, batch };
}

export function unroutable(reason: string): ParseFailure {
  return { ok: false, kind: 'unroutable', reason };
}

export function schemaError(error: z.ZodError): ParseFailure {
  return { ok: false, kind: 'schema', issues: error.issues };
}

/** Runs `schema` over `body` and hands the typed value to `build`, or returns the issues. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  body: unknown,
  build: (value: z.output<S>) => ParseResult,
): ParseResult {
  const result = schema.safeParse(body);
  return result.success ? build(result.data) : schemaError(result.error);
}

/** An empty string means "not given" in every sender's format (Go zero values, empty template variables). */
export function nonEmpty(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** The group is firing while any of its alerts fires; a truncated list may hide firing alerts, so the sender's own status also counts. */
export function groupStatus(senderStatus: AlertStatus, alertStatuses: readonly AlertStatus[]): AlertStatus {
  return senderStatus === 'firing' || alertStatuses.includes('firing') ? 'firing' : 'resolved';
}

/**
 * Identity for an alert whose sender gave none: the same label set always hashes the same, whatever the key order.
 * 16 hex digits, like an Alertmanager fingerprint.
 */
export function stableLabelHash(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex').slice(0, 16);
}

/**
 * Parses an RFC 3339 time. Go's zero time ("0001-01-01T00:00:00Z"), which Alertmanager and Grafana send for
 * "no end yet", and anything unparseable become null rather than a bogus date.
 */
export function parseDate(value: string | null | undefined): Date | null {
  const text = nonEmpty(value);
  if (text === null) return null;
  return plausibleDate(new Date(text));
}

/**
 * The date, or null when it is invalid, Go's zero time, or past year 9999. JavaScript reads "20267" as the
 * year 20267, and toISOString writes such a year as "+020267-…", which PostgreSQL refuses: the whole
 * delivery failed with a 500 and the sender retried it forever.
 */
export function plausibleDate(date: Date): Date | null {
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year <= 1 || year > 9999 ? null : date;
}

/** Copies a nullable map into a fresh object, so callers never share or mutate the parsed body. */
export function labelsOf(map: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  return map ? { ...map } : {};
}

/** Drops the entries a sender left out, so labels and annotations hold strings only. */
export function withoutNulls(map: Readonly<Record<string, string | null>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}
