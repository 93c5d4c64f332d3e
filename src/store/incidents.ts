// Reads of incidents, their alerts, timeline and evidence, and dead letters (drizzle over the one
// driver, so row types come from db/schema.ts); the few writes about them, each statement in one typed
// function. Same SQL on PostgreSQL and PGlite.
import { and, asc, desc, eq, isNull, type SQL } from 'drizzle-orm';
import { drizzleOf } from '../db/drizzle.ts';
import { alerts, deadLetters, events, evidence, incidents } from '../db/schema.ts';
import type { Db, DbDriver } from './database.ts';
import type { EventRecord, EvidenceKind, EvidenceRecord } from './records.ts';

export interface IncidentRecord {
  id: string;
  source: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  title: string;
  severity: string | null;
  labels: Record<string, string>;
  drill: boolean;
  startedAt: Date | null;
  openedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  lastNotifiedAt: Date;
  reopenedCount: number;
}

export interface AlertRecord {
  fingerprint: string;
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
  endsAt: Date | null;
  generatorUrl: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface DeadLetterRecord {
  id: string;
  source: string;
  reason: string;
  body: string;
  headers: Record<string, string>;
  receivedAt: Date;
  replayedAt: Date | null;
  replayResult: unknown;
}

// The columns each record is read with, in the record's order (the API answers these objects as JSON).
const incidentColumns = {
  id: incidents.id,
  source: incidents.source,
  groupKey: incidents.groupKey,
  status: incidents.status,
  title: incidents.title,
  severity: incidents.severity,
  labels: incidents.labels,
  drill: incidents.drill,
  startedAt: incidents.startedAt,
  openedAt: incidents.openedAt,
  acknowledgedAt: incidents.acknowledgedAt,
  resolvedAt: incidents.resolvedAt,
  lastNotifiedAt: incidents.lastNotifiedAt,
  reopenedCount: incidents.reopenedCount,
};

const alertColumns = {
  fingerprint: alerts.fingerprint,
  status: alerts.status,
  labels: alerts.labels,
  annotations: alerts.annotations,
  startsAt: alerts.startsAt,
  endsAt: alerts.endsAt,
  generatorUrl: alerts.generatorUrl,
  firstSeenAt: alerts.firstSeenAt,
  lastSeenAt: alerts.lastSeenAt,
};

const eventColumns = {
  seq: events.seq,
  runId: events.runId,
  incidentId: events.incidentId,
  stepKey: events.stepKey,
  type: events.type,
  data: events.data,
  at: events.at,
};

const evidenceColumns = {
  id: evidence.id,
  runId: evidence.runId,
  incidentId: evidence.incidentId,
  stepKey: evidence.stepKey,
  attempt: evidence.attempt,
  kind: evidence.kind,
  title: evidence.title,
  content: evidence.content,
  contentHash: evidence.contentHash,
  createdAt: evidence.createdAt,
};

const deadLetterColumns = {
  id: deadLetters.id,
  source: deadLetters.source,
  reason: deadLetters.reason,
  body: deadLetters.body,
  headers: deadLetters.headers,
  receivedAt: deadLetters.receivedAt,
  replayedAt: deadLetters.replayedAt,
  replayResult: deadLetters.replayResult,
};

type Labels = Record<string, string>;

export class IncidentStore {
  constructor(private readonly driver: DbDriver) {}

  /** The incident store beside a SqlStore (createFirebreak's `fb.store`). */
  static of(store: { readonly driver: DbDriver }): IncidentStore {
    return new IncidentStore(store.driver);
  }

  private get db() {
    return drizzleOf(this.driver);
  }

  async list(filter: { status?: string; drill?: boolean; limit?: number } = {}): Promise<IncidentRecord[]> {
    const where: SQL[] = [];
    if (filter.status !== undefined) where.push(eq(incidents.status, filter.status));
    if (filter.drill !== undefined) where.push(eq(incidents.drill, filter.drill));
    const rows = await this.db
      .select(incidentColumns)
      .from(incidents)
      .where(and(...where))
      .orderBy(desc(incidents.openedAt), asc(incidents.id))
      .limit(filter.limit ?? 100);
    return rows.map(asIncident);
  }

  async get(id: string): Promise<IncidentRecord | null> {
    if (!UUID.test(id)) return null;
    const [row] = await this.db.select(incidentColumns).from(incidents).where(eq(incidents.id, id));
    return row ? asIncident(row) : null;
  }

  async alerts(incidentId: string): Promise<AlertRecord[]> {
    const rows = await this.db
      .select(alertColumns)
      .from(alerts)
      .where(eq(alerts.incidentId, incidentId))
      .orderBy(asc(alerts.firstSeenAt), asc(alerts.fingerprint));
    return rows.map((r) => ({
      ...r,
      labels: r.labels as Labels,
      annotations: r.annotations as Labels,
    }));
  }

  async timeline(incidentId: string): Promise<EventRecord[]> {
    const rows = await this.db
      .select(eventColumns)
      .from(events)
      .where(eq(events.incidentId, incidentId))
      .orderBy(asc(events.seq));
    return rows.map((r) => ({ ...r, data: r.data ?? null }));
  }

  /** One evidence item by id (the web UI and the API serve images from it). */
  async evidenceItem(id: string): Promise<EvidenceRecord | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const [row] = await this.db.select(evidenceColumns).from(evidence).where(eq(evidence.id, id));
    return row ? { ...row, kind: row.kind as EvidenceKind } : null;
  }

  async deadLetters(limit = 100): Promise<DeadLetterRecord[]> {
    const rows = await this.db
      .select(deadLetterColumns)
      .from(deadLetters)
      .orderBy(desc(deadLetters.receivedAt), asc(deadLetters.id))
      .limit(limit);
    return rows.map(asDeadLetter);
  }

  async deadLetter(id: string): Promise<DeadLetterRecord | null> {
    if (!UUID.test(id)) return null;
    const [row] = await this.db.select(deadLetterColumns).from(deadLetters).where(eq(deadLetters.id, id));
    return row ? asDeadLetter(row) : null;
  }

  async markReplayed(id: string, result: unknown, now: Date): Promise<void> {
    await markDeadLetterReplayed(this.driver, { id, result, now });
  }

  async counts(): Promise<{ activeIncidents: number; deadLetters: number }> {
    const [active, dead] = await Promise.all([
      this.db.$count(incidents, and(eq(incidents.status, 'firing'), eq(incidents.drill, false))),
      this.db.$count(deadLetters, isNull(deadLetters.replayedAt)),
    ]);
    return { activeIncidents: Number(active), deadLetters: Number(dead) };
  }

  /** An incident opened by hand (the testing kit's, source `test`), with its `incident.opened` entry. */
  async openTestIncident(incident: {
    id: string;
    title: string;
    severity: string | null;
    labels: Labels;
    drill: boolean;
    now: Date;
  }): Promise<void> {
    await insertTestIncident(this.driver, incident);
    await insertIncidentEvent(this.driver, {
      incidentId: incident.id,
      type: 'incident.opened',
      data: JSON.stringify({ title: incident.title, source: 'test', drill: incident.drill }),
      at: incident.now,
    });
  }
}

function asIncident<R extends { status: string; labels: unknown }>(
  r: R,
): Omit<R, 'status' | 'labels'> & Pick<IncidentRecord, 'status' | 'labels'> {
  return { ...r, status: r.status as IncidentRecord['status'], labels: r.labels as Labels };
}

function asDeadLetter(r: Omit<DeadLetterRecord, 'headers'> & { headers: unknown }): DeadLetterRecord {
  return { ...r, headers: r.headers as Labels, replayResult: r.replayResult ?? null };
}

export async function markDeadLetterReplayed(
  q: Db,
  p: { id: string; result: unknown; now: Date },
): Promise<void> {
  await q.query('update dead_letters set replayed_at = $2, replay_result = $3::text::jsonb where id = $1', [
    p.id,
    p.now,
    JSON.stringify(p.result),
  ]);
}

async function insertTestIncident(
  q: Db,
  p: { id: string; title: string; severity: string | null; labels: Labels; drill: boolean; now: Date },
): Promise<void> {
  await q.query(
    `insert into incidents (id, source, group_key, status, title, severity, labels, drill, started_at,
       opened_at, last_notified_at, updated_at)
     values ($1, 'test', $2, 'firing', $3, $4, $5::text::jsonb, $6, $7, $7, $7, $7)`,
    [p.id, `test:${p.id}`, p.title, p.severity, JSON.stringify(p.labels), p.drill, p.now],
  );
}

/** A journal entry of an incident, not of a run; `data` is JSON already (redacted by the caller). */
export async function insertIncidentEvent(
  q: Db,
  p: { incidentId: string; type: string; data: string; at: Date },
): Promise<void> {
  await q.query(
    `insert into events (run_id, incident_id, type, data, at) values (null, $1, $2, $3::text::jsonb, $4)`,
    [p.incidentId, p.type, p.data, p.at],
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
