// Reads of incidents, their alerts and timeline, and dead letters. Same SQL on PostgreSQL and PGlite.
import type { Row, SqlDriver } from '../db/driver.ts';
import type { EventRecord } from './records.ts';
import { toEvent } from './rows.ts';

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

const d = (v: unknown) => (v == null ? null : new Date(v as string));

function toIncident(r: Row): IncidentRecord {
  return {
    id: String(r.id),
    source: String(r.source),
    groupKey: String(r.group_key),
    status: r.status as IncidentRecord['status'],
    title: String(r.title),
    severity: r.severity == null ? null : String(r.severity),
    labels: r.labels as Record<string, string>,
    drill: Boolean(r.drill),
    startedAt: d(r.started_at),
    openedAt: d(r.opened_at)!,
    acknowledgedAt: d(r.acknowledged_at),
    resolvedAt: d(r.resolved_at),
    lastNotifiedAt: d(r.last_notified_at)!,
    reopenedCount: Number(r.reopened_count),
  };
}

function toAlert(r: Row): AlertRecord {
  return {
    fingerprint: String(r.fingerprint),
    status: String(r.status),
    labels: r.labels as Record<string, string>,
    annotations: r.annotations as Record<string, string>,
    startsAt: d(r.starts_at),
    endsAt: d(r.ends_at),
    generatorUrl: r.generator_url == null ? null : String(r.generator_url),
    firstSeenAt: d(r.first_seen_at)!,
    lastSeenAt: d(r.last_seen_at)!,
  };
}

function toDeadLetter(r: Row): DeadLetterRecord {
  return {
    id: String(r.id),
    source: String(r.source),
    reason: String(r.reason),
    body: String(r.body),
    headers: r.headers as Record<string, string>,
    receivedAt: d(r.received_at)!,
    replayedAt: d(r.replayed_at),
    replayResult: r.replay_result ?? null,
  };
}

export class IncidentStore {
  constructor(private readonly driver: SqlDriver) {}

  async list(filter: { status?: string; drill?: boolean; limit?: number } = {}): Promise<IncidentRecord[]> {
    const rows = await this.driver.query(
      `select * from incidents where ($1::text is null or status = $1) and ($2::boolean is null or drill = $2)
       order by opened_at desc, id limit $3`,
      [filter.status ?? null, filter.drill ?? null, filter.limit ?? 100],
    );
    return rows.map(toIncident);
  }

  async get(id: string): Promise<IncidentRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.driver.query('select * from incidents where id = $1', [id]);
    return rows[0] ? toIncident(rows[0]) : null;
  }

  async alerts(incidentId: string): Promise<AlertRecord[]> {
    const rows = await this.driver.query(
      'select * from alerts where incident_id = $1 order by first_seen_at, fingerprint',
      [incidentId],
    );
    return rows.map(toAlert);
  }

  async timeline(incidentId: string): Promise<EventRecord[]> {
    const rows = await this.driver.query('select * from events where incident_id = $1 order by seq', [
      incidentId,
    ]);
    return rows.map(toEvent);
  }

  async deadLetters(limit = 100): Promise<DeadLetterRecord[]> {
    const rows = await this.driver.query(
      'select * from dead_letters order by received_at desc, id limit $1',
      [limit],
    );
    return rows.map(toDeadLetter);
  }

  async deadLetter(id: string): Promise<DeadLetterRecord | null> {
    if (!UUID.test(id)) return null;
    const rows = await this.driver.query('select * from dead_letters where id = $1', [id]);
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  async markReplayed(id: string, result: unknown, now: Date): Promise<void> {
    await this.driver.query(
      'update dead_letters set replayed_at = $2, replay_result = $3::text::jsonb where id = $1',
      [id, now, JSON.stringify(result)],
    );
  }

  async counts(): Promise<{ activeIncidents: number; deadLetters: number }> {
    const [r] = await this.driver.query(
      `select (select count(*) from incidents where status = 'firing' and not drill)::int as active,
              (select count(*) from dead_letters where replayed_at is null)::int as dead`,
    );
    return { activeIncidents: Number(r?.active ?? 0), deadLetters: Number(r?.dead ?? 0) };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
