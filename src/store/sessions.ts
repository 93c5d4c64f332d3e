// Web UI sessions (the `web_sessions` table, by the SHA-256 of the cookie's session id): each write one
// typed statement, the lookup through drizzle. web/session.ts decides what a session is worth.
import { eq } from 'drizzle-orm';
import { drizzleOf } from '../db/drizzle.ts';
import { webSessions } from '../db/schema.ts';
import type { Db, DbDriver } from './database.ts';

export interface WebSessionRecord {
  expiresAt: Date;
  revokedAt: Date | null;
}

export class WebSessions {
  constructor(private readonly q: Db) {}

  /** The session table beside a SqlStore (createFirebreak's `fb.store`). */
  static of(store: { readonly driver: DbDriver }): WebSessions {
    return new WebSessions(store.driver);
  }

  async create(p: { id: string; identity: string; createdAt: Date; expiresAt: Date }): Promise<void> {
    await this.q.query(
      'insert into web_sessions (id, identity, created_at, expires_at) values ($1, $2, $3, $4)',
      [p.id, p.identity, p.createdAt, p.expiresAt],
    );
  }

  async get(id: string): Promise<WebSessionRecord | null> {
    const [row] = await drizzleOf(this.q)
      .select({ expiresAt: webSessions.expiresAt, revokedAt: webSessions.revokedAt })
      .from(webSessions)
      .where(eq(webSessions.id, id));
    return row ?? null;
  }

  /** Ends one session (if still open). */
  async revoke(id: string, now: Date): Promise<void> {
    await this.q.query('update web_sessions set revoked_at = $2 where id = $1 and revoked_at is null', [
      id,
      now,
    ]);
  }

  /** Ends every open session; returns how many were open. */
  async revokeAll(now: Date): Promise<number> {
    const rows = await this.q.query(
      'update web_sessions set revoked_at = $1 where revoked_at is null and expires_at > $1 returning id',
      [now],
    );
    return rows.length;
  }
}
