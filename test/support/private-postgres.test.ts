import postgres from 'postgres';
import { describe, expect, test } from 'vitest';
import { PrivatePostgres } from './private-postgres.ts';

/** Error codes postgres.js reports when the server is gone (refused, dropped, or shut down under us). */
const CONNECTION_ERROR_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  '57P01',
];

async function connectionErrorCode(p: Promise<unknown>): Promise<string> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'query should fail while the server is stopped').toBeInstanceOf(Error);
  return String((err as { code?: unknown }).code);
}

describe('PrivatePostgres', () => {
  test('data survives stop/start; queries fail while stopped', async () => {
    await using pg = await PrivatePostgres.create();
    expect(pg.port).toBeGreaterThan(0);
    expect(pg.port).not.toBe(5432);
    expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`);

    const sql = postgres(pg.url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
    try {
      await sql`create table t (id int primary key, note text not null)`;
      await sql`insert into t values (1, 'before outage')`;
      const [settings] = await sql<{ max_connections: string; fsync: string; listen: string }[]>`
        select current_setting('max_connections') as max_connections,
               current_setting('fsync') as fsync,
               current_setting('listen_addresses') as listen`;
      expect(settings).toEqual({ max_connections: '100', fsync: 'on', listen: '127.0.0.1' });

      await pg.stop('fast');
      expect(await pg.isRunning()).toBe(false);
      // The pooled connection was terminated by the shutdown; the retry cannot connect.
      expect(CONNECTION_ERROR_CODES).toContain(await connectionErrorCode(sql`select 1`));
      expect(await connectionErrorCode(sql`select 1`)).toBe('ECONNREFUSED');

      // A fresh client cannot connect either.
      const fresh = postgres(pg.url, { max: 1, connect_timeout: 2 });
      try {
        expect(await connectionErrorCode(fresh`select 1`)).toBe('ECONNREFUSED');
      } finally {
        await fresh.end({ timeout: 0 });
      }

      await pg.start();
      expect(await pg.isRunning()).toBe(true);

      // The row survived, seen through a brand-new connection...
      const after = postgres(pg.url, { max: 1 });
      try {
        expect(await after`select id, note from t`).toEqual([{ id: 1, note: 'before outage' }]);
      } finally {
        await after.end();
      }
      // ...and the old pool reconnects on its own.
      expect(await sql`select count(*)::int as n from t`).toEqual([{ n: 1 }]);

      // Crash-style stop: committed data survives WAL recovery.
      await sql`insert into t values (2, 'before crash')`;
      await pg.stop('immediate');
      await pg.start();
      expect(await sql`select id from t order by id`).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      await sql.end({ timeout: 0 });
    }
  });

  test('stop/destroy are idempotent and destroy removes the temp dir', async () => {
    const { existsSync } = await import('node:fs');
    const pg = await PrivatePostgres.create();
    expect(existsSync(pg.dataDir)).toBe(true);
    await pg.stop();
    await pg.stop(); // already stopped: no-op
    await pg.destroy();
    await pg.destroy(); // already destroyed: no-op
    await pg[Symbol.asyncDispose]();
    expect(existsSync(pg.dir)).toBe(false);
    await expect(pg.start()).rejects.toThrow(/after destroy/);
  });

  test('create honours an explicit port', async () => {
    const { freePort } = await import('./private-postgres.ts');
    const port = await freePort();
    await using pg = await PrivatePostgres.create({ port });
    expect(pg.port).toBe(port);
    const sql = postgres(pg.url, { max: 1 });
    try {
      expect(await sql`select current_setting('port')::int as port`).toEqual([{ port }]);
    } finally {
      await sql.end();
    }
  });
});
