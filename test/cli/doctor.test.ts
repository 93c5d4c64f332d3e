// `firebreak doctor`: one line per check, ok / warn / fail with the fix, exit 1 only when something fails.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { Check } from '../../src/cli/doctor.ts';
import { main } from '../../src/cli/main.ts';
import { onPostgres, testDatabase } from '../support/db.ts';
import { freePort } from '../support/private-postgres.ts';
import { testServer } from '../support/server.ts';

const EXAMPLES = fileURLToPath(new URL('../../runbooks', import.meta.url));
const BROKEN = fileURLToPath(new URL('../fixtures/runbooks-cli', import.meta.url));

async function doctor(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const code = await main(
    ['doctor', '--json'],
    { out: (l) => out.push(l), err: () => {} },
    {
      LOG_LEVEL: 'silent',
      ...env,
    },
  );
  const checks = JSON.parse(out.join('\n')) as Check[];
  return { code, byName: Object.fromEntries(checks.map((c) => [c.check, c])) };
}

describe('firebreak doctor', () => {
  test('a healthy install: server, identity, database, migrations, clock, runbooks; warnings with their fix', async () => {
    await using db = await testDatabase({ durable: true });
    await using srv = await testServer({ db });
    const { code, byName } = await doctor({
      FIREBREAK_URL: srv.url,
      DATABASE_URL: db.databaseUrl,
      FIREBREAK_DATA_DIR: db.dataDir,
      RUNBOOKS_DIR: EXAMPLES,
    });
    expect(code).toBe(0);
    expect(byName.server).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(`${srv.url} is ready`),
    });
    expect(byName['api access']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining(
        'acting as local (admin): no API_TOKENS: every loopback caller is an unauthenticated admin',
      ),
      fix: 'set API_TOKENS on the server and FIREBREAK_TOKEN here',
    });
    if (onPostgres) {
      expect(byName.database).toMatchObject({ status: 'ok' });
      expect(byName.migrations).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/^all \d+ applied$/),
      });
      expect(byName['clock skew']).toMatchObject({
        status: 'ok',
        detail: expect.stringMatching(/ms (behind|ahead of) the database/),
      });
    } else {
      // The server holds the directory: doctor names it instead of opening it.
      expect(byName['lock holder']).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining(`is held by`),
      });
      expect(byName['lock holder']!.detail).toContain(`pid ${process.pid}`);
    }
    expect(byName.runbooks).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^\d+ load from /) });
    expect(byName['webhook secrets']).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('ALERTMANAGER_TOKEN'),
    });
    expect(byName['api tokens']).toMatchObject({ status: 'warn' });
    expect(byName.slack).toMatchObject({ status: 'warn', fix: expect.stringContaining('SLACK_BOT_TOKEN') });
  });

  test('no server, a runbook file that does not load: warn and fail, exit 1', async () => {
    const port = await freePort();
    const { code, byName } = await doctor({
      FIREBREAK_URL: `http://127.0.0.1:${port}`,
      FIREBREAK_DATA_DIR: '/nonexistent/firebreak-data',
      RUNBOOKS_DIR: BROKEN,
      API_TOKENS: 'a-long-enough-token=admin',
    });
    expect(code).toBe(1);
    expect(byName.server).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining(`cannot reach the firebreak server at http://127.0.0.1:${port}`),
    });
    expect(byName.runbooks).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('unfinished.ts: exports no runbook'),
      fix: 'firebreak runbooks validate',
    });
    expect(byName['api tokens']).toMatchObject({ status: 'ok', detail: '1 configured' });
    // No DATABASE_URL given: the PGlite directory, which does not exist; doctor does not create it.
    expect(byName.database).toMatchObject({
      status: 'warn',
      detail: 'no PGlite database in /nonexistent/firebreak-data yet',
    });
  });
});
