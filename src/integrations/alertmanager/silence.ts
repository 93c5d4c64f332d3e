// A silence as a reversible change: create one for an alert's labels (or find the one this run already
// made), and expire it again. Bounded: a silence without an end, or longer than the cap, is refused,
// because a forgotten silence hides the next real page.
import { type Duration, parseDuration } from '../../core/duration.ts';
import { NonRetryableError } from '../../core/errors.ts';
import { type AlertmanagerClient, AlertmanagerError, type Matcher, type Silence } from './client.ts';

/** The longest silence firebreak creates unless told otherwise. */
export const DEFAULT_MAX_SILENCE: Duration = '24h';

export interface SilenceRequest {
  /** The alert's labels: each becomes an equality matcher (`isRegex: false`, `isEqual: true`). */
  labels: Readonly<Record<string, string>>;
  duration: Duration;
  /** The run the silence belongs to: `createdBy` is `firebreak run <runId>`, which finds it again. */
  runId: string;
  /** Why, for whoever looks at Alertmanager's silences page: firebreak puts the incident URL here. */
  comment: string;
  now: Date;
  /** Refuse longer silences than this (default 24h). */
  maxDuration?: Duration;
}

/** What apply returns and revert gets: plain JSON, stored as the mitigation's output. */
export interface AppliedSilence {
  silenceId: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  /** True when a retried apply found the silence its first attempt had created. */
  reused: boolean;
}

export interface ExpiredSilence {
  silenceId: string;
  /** False when Alertmanager no longer knew it or it had ended already: nothing was left to undo. */
  expiredNow: boolean;
}

export const createdByOf = (runId: string) => `firebreak run ${runId}`;

/** Prometheus' label names: the only ones Alertmanager matches. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Equality matchers for the labels, in name order; empty values carry nothing to match. */
export function matchersOf(labels: Readonly<Record<string, string>>): Matcher[] {
  return Object.entries(labels)
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

/** The duration in ms, or a non-retryable error: a missing, zero or too long silence is a mistake. */
export function boundedDuration(duration: Duration | undefined, max: Duration = DEFAULT_MAX_SILENCE): number {
  let ms: number;
  try {
    ms = duration === undefined ? 0 : parseDuration(duration);
  } catch (err) {
    throw new NonRetryableError(`silence duration: ${(err as Error).message}`);
  }
  if (ms <= 0) throw new NonRetryableError('a silence needs a duration greater than zero');
  const cap = parseDuration(max);
  if (ms > cap)
    throw new NonRetryableError(`a silence of ${String(duration)} is longer than the ${String(max)} allowed`);
  return ms;
}

/**
 * Creates the silence, unless this run already has an unexpired one with the same matchers (a retried
 * apply after a crash or a lost answer): then that one is returned, and Alertmanager holds one silence.
 */
export async function silenceAlert(client: AlertmanagerClient, req: SilenceRequest): Promise<AppliedSilence> {
  const ms = boundedDuration(req.duration, req.maxDuration);
  const matchers = matchersOf(req.labels);
  if (matchers.length === 0) throw new NonRetryableError('a silence needs at least one label to match');
  // Alertmanager refuses such a matcher (Prometheus' label names); say so before asking it anything.
  const bad = matchers.find((m) => !LABEL_NAME.test(m.name));
  if (bad)
    throw new NonRetryableError(`label name ${JSON.stringify(bad.name)} is not one Alertmanager can match`);
  const createdBy = createdByOf(req.runId);
  const existing = await findRunSilence(client, createdBy, matchers);
  if (existing) return applied(existing, true);
  const startsAt = req.now.toISOString();
  const endsAt = new Date(req.now.getTime() + ms).toISOString();
  const silenceId = await client.createSilence({
    matchers,
    startsAt,
    endsAt,
    createdBy,
    comment: req.comment,
  });
  return { silenceId, matchers, startsAt, endsAt, createdBy, reused: false };
}

/** The run's own silence for exactly these matchers, if it has not expired. */
export async function findRunSilence(
  client: AlertmanagerClient,
  createdBy: string,
  matchers: readonly Matcher[],
): Promise<Silence | null> {
  // One matcher narrows the list on the server (alertname when there is one); the rest is compared here.
  // Only a value Alertmanager's matcher parser reads the same in every version is sent as a filter.
  // The name too: a label name outside Prometheus' own charset would make the filter unparseable.
  const plain = matchers.filter(
    (m) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name) && /^[\w.:/@ -]*$/.test(m.value),
  );
  const narrow = plain.find((m) => m.name === 'alertname') ?? plain[0];
  const found = await client.listSilences(narrow ? [narrow] : []);
  const key = matcherKey(matchers);
  return (
    found.find(
      (s) => s.createdBy === createdBy && s.status.state !== 'expired' && matcherKey(s.matchers) === key,
    ) ?? null
  );
}

/**
 * Expires the silence. One that Alertmanager no longer knows, or that has ended, counts as reverted:
 * the state a revert wants is reached. (Alertmanager 0.25 answers an unknown id with 500, newer ones
 * with 404, so the silence is looked up before an error is believed.)
 */
export async function expireSilence(client: AlertmanagerClient, silenceId: string): Promise<ExpiredSilence> {
  const before = await client.getSilence(silenceId);
  if (before === null || before.status.state === 'expired') return { silenceId, expiredNow: false };
  try {
    await client.expireSilence(silenceId);
  } catch (err) {
    if (!(err instanceof AlertmanagerError)) throw err;
    const now = await client.getSilence(silenceId);
    if (now === null || now.status.state === 'expired') return { silenceId, expiredNow: false };
    throw err;
  }
  return { silenceId, expiredNow: true };
}

function applied(s: Silence, reused: boolean): AppliedSilence {
  return {
    silenceId: s.id,
    matchers: matchersOf(Object.fromEntries(s.matchers.map((m) => [m.name, m.value]))),
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    createdBy: s.createdBy,
    reused,
  };
}

function matcherKey(matchers: readonly Matcher[]): string {
  return JSON.stringify(
    [...matchers]
      .map((m) => [m.name, m.value, m.isRegex, m.isEqual])
      .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
  );
}
