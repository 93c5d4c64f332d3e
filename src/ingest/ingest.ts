// Alerts in: parse, route, and commit the alert with its incident and runs in one transaction.
// Anything valid that cannot be turned into an incident is kept as a dead letter with the reason.
import { createHash } from 'node:crypto';
import type { AlertBatch, AlertSource } from '../core/alert.ts';
import type { Clock } from '../core/clock.ts';
import type { Redactor } from '../core/redact.ts';
import { uuidv7 } from '../core/uuid.ts';
import type { DbDriver } from '../store/database.ts';
import { insertDeadLetter, insertIncidentEvent, runWaker } from '../store/ingest.ts';
import { type GroupBy, regroup } from './group-by.ts';
import { IngestBatcher } from './ingest-batch.ts';
import type { Router } from './route.ts';
import { sources } from './sources/index.ts';

export type IngestOutcome = 'opened' | 'reopened' | 'updated' | 'resolved' | 'repeat' | 'duplicate';

/** What became of one incident's part of a delivery. */
export interface IncidentOutcome {
  incidentId: string;
  outcome: IngestOutcome;
  runIds: string[];
}

export type IngestResult =
  | ({ kind: 'accepted' } & IncidentOutcome & {
        /** Set when grouping keys split the delivery into several incidents: each one's outcome. */
        groups?: IncidentOutcome[];
      })
  | { kind: 'schema'; issues: unknown[] }
  | { kind: 'dead_letter'; deadLetterId: string; reason: string }
  | { kind: 'unroutable'; reason: string };

export interface IngestDeps {
  /** The store's database (createFirebreak's). */
  driver: DbDriver;
  router: Router;
  clock: Clock;
  flapMs: number;
  redactor: Redactor;
  /** Grouping keys per source (GROUP_BY_<SOURCE>); a source without one keeps the sender's group key. */
  groupBy?: GroupBy;
}

export type Accepted = Extract<IngestResult, { kind: 'accepted' }>;

export class Ingestor {
  private readonly listeners: ((result: Accepted) => void)[] = [];

  /** Wakes the workers once the runs are committed (not inside the ingest transaction: see src/db/functions/firebreak_ingest.sql). */
  private readonly wake: () => void;

  /** Deliveries that arrive together share a transaction and its WAL flush. */
  private readonly batcher: IngestBatcher;

  /** The store's database: every statement is a typed function of store/ingest.ts. */
  private readonly db: DbDriver;

  constructor(private readonly deps: IngestDeps) {
    this.db = deps.driver;
    this.wake = runWaker(this.db);
    this.batcher = new IngestBatcher(this.db);
  }

  /** Called after each committed notification (Slack posts the incident message from here). */
  onAccepted(fn: (result: Accepted) => void): void {
    this.listeners.push(fn);
  }

  /**
   * `keepDeadLetter: false` (a replay) reports an unroutable body instead of storing it again.
   * `digest: true` (a signed delivery whose signature has no timestamp) identifies a delivery without
   * an id of its own by its body digest: the same body again within 24 h is a duplicate, so a captured
   * request cannot be replayed.
   */
  async ingest(
    source: AlertSource,
    rawBody: string,
    body: unknown,
    headers: Headers,
    opts: { keepDeadLetter?: boolean; digest?: boolean } = {},
  ): Promise<IngestResult> {
    const keep = opts.keepDeadLetter ?? true;
    const parsed = sources[source].parse(body, headers);
    if (!parsed.ok) {
      if (parsed.kind === 'schema') return { kind: 'schema', issues: parsed.issues };
      return keep
        ? this.deadLetter(source, parsed.reason, rawBody, headers)
        : { kind: 'unroutable', reason: parsed.reason };
    }
    const batch =
      opts.digest && parsed.batch.deliveryId === null
        ? { ...parsed.batch, deliveryId: `sha256:${createHash('sha256').update(rawBody).digest('hex')}` }
        : parsed.batch;
    const parts = regroup(batch, this.deps.groupBy?.[source]);
    if (parts.length === 1 && parts[0] === batch) return this.commit(batch, rawBody, headers, keep);
    return this.commitParts(batch, parts, rawBody, headers, keep);
  }

  /**
   * A delivery grouped by labels: each part is committed as its own notification (in one batch when
   * they arrive together). A resolve no incident under its label key knows goes to the sender's group,
   * where an incident opened before the grouping keys were set is found. Parts no incident takes are
   * kept as one dead letter.
   */
  private async commitParts(
    batch: AlertBatch,
    parts: AlertBatch[],
    rawBody: string,
    headers: Headers,
    keep: boolean,
  ): Promise<IngestResult> {
    const first = await Promise.all(parts.map((part) => this.commit(part, rawBody, headers, false)));
    const orphans = parts.filter((p, i) => first[i]!.kind === 'unroutable' && p.status === 'resolved');
    const results = first.filter((_, i) => !orphans.includes(parts[i]!));
    if (orphans.length > 0) {
      const senderGroup: AlertBatch = {
        ...batch,
        alerts: orphans.flatMap((p) => p.alerts),
        status: 'resolved',
        deliveryId: batch.deliveryId === null ? null : `${batch.deliveryId}#sender`,
      };
      results.push(await this.commit(senderGroup, rawBody, headers, false));
    }
    const accepted = results.filter((r): r is Accepted => r.kind === 'accepted');
    const reasons = results.flatMap((r) => (r.kind === 'unroutable' ? [r.reason] : []));
    const lost =
      reasons.length === 0
        ? null
        : keep
          ? await this.deadLetter(batch.source, reasons.join('; '), rawBody, headers)
          : ({ kind: 'unroutable', reason: reasons.join('; ') } as const);
    const [one] = accepted;
    if (!one) return lost!;
    if (accepted.length === 1) return one;
    return {
      ...one,
      runIds: accepted.flatMap((a) => a.runIds),
      groups: accepted.map(({ incidentId, outcome, runIds }) => ({ incidentId, outcome, runIds })),
    };
  }

  private async commit(
    batch: AlertBatch,
    rawBody: string,
    headers: Headers,
    keep: boolean,
  ): Promise<IngestResult> {
    const { router, clock, flapMs } = this.deps;
    const candidateId = uuidv7();
    const { runs, problems } = router.route(batch, candidateId);
    const payload = {
      incident_id: candidateId,
      source: batch.source,
      group_key: batch.groupKey,
      status: batch.status,
      title: batch.title,
      severity: batch.severity,
      labels: batch.commonLabels,
      started_at: earliestStart(batch),
      delivery_id: batch.deliveryId,
      notification_reason: batch.notificationReason,
      body: rawBody,
      flap_ms: flapMs,
      alerts: batch.alerts.map((a) => ({
        fingerprint: a.fingerprint,
        status: a.status,
        labels: a.labels,
        annotations: a.annotations,
        starts_at: a.startsAt?.toISOString() ?? null,
        ends_at: a.endsAt?.toISOString() ?? null,
        generator_url: a.generatorUrl,
      })),
      runs,
    };
    const row = await this.batcher.ingest(
      this.deps.redactor.json(payload),
      `${batch.source}\u0000${batch.groupKey}`,
      clock.now(),
    );
    const outcome = String(row.outcome);
    if (outcome === 'unknown_group') {
      const reason = `resolved notification for unknown alert group ${batch.groupKey}`;
      return keep ? this.deadLetter(batch.source, reason, rawBody, headers) : { kind: 'unroutable', reason };
    }
    const incidentId = String(row.incident_id);
    if ((outcome === 'opened' || outcome === 'reopened') && problems.length > 0)
      await this.recordInputProblems(incidentId, problems, rawBody, batch, headers);
    const accepted: Accepted = {
      kind: 'accepted',
      incidentId,
      outcome: outcome as IngestOutcome,
      runIds: ((row.run_ids as string[] | null) ?? []).map(String),
    };
    if (accepted.runIds.length > 0) this.wake();
    for (const l of this.listeners) l(accepted);
    return accepted;
  }

  /** A runbook whose input the alert does not satisfy: a timeline entry and a dead letter, not a crash. */
  private async recordInputProblems(
    incidentId: string,
    problems: { runbookId: string; reason: string; issues: unknown }[],
    rawBody: string,
    batch: AlertBatch,
    headers: Headers,
  ): Promise<void> {
    const now = this.deps.clock.now();
    for (const p of problems) {
      await insertIncidentEvent(this.db, {
        incidentId,
        type: 'run.input_invalid',
        data: this.deps.redactor.json({ runbook: p.runbookId, reason: p.reason, issues: p.issues }),
        at: now,
      });
      await this.deadLetter(batch.source, `${p.reason} (incident ${incidentId})`, rawBody, headers);
    }
  }

  async deadLetter(source: string, reason: string, rawBody: string, headers: Headers): Promise<IngestResult> {
    const id = await insertDeadLetter(this.db, {
      source,
      // The reason quotes the sender's values, which may hold a secret or U+0000.
      reason: this.deps.redactor.text(reason),
      body: this.deps.redactor.text(rawBody),
      headers: this.deps.redactor.json(keptHeaders(headers)),
      receivedAt: this.deps.clock.now(),
    });
    return { kind: 'dead_letter', deadLetterId: id, reason };
  }
}

function earliestStart(batch: AlertBatch): string | null {
  const starts = batch.alerts.map((a) => a.startsAt?.getTime()).filter((t): t is number => t !== undefined);
  return starts.length > 0 ? new Date(Math.min(...starts)).toISOString() : null;
}

/**
 * Headers kept with a dead letter: what says what sent it and what a replay needs (PagerDuty's delivery
 * id, Grafana's timestamp). An allow-list, so a credential or signature in a header of any name
 * (Authorization, Proxy-Authorization, X-Api-Key, X-PagerDuty-Signature, …) is never stored.
 */
const KEPT_HEADERS = new Set([
  'content-type',
  'user-agent',
  'x-request-id',
  'x-webhook-id',
  'x-webhook-subscription',
  'x-grafana-alerting-timestamp',
  'dd-request-id',
]);

function keptHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    if (KEPT_HEADERS.has(key.toLowerCase())) out[key] = value;
  });
  return out;
}
