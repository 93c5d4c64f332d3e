// The write-back outbox on its own, on the test's database: a keyed row is queued once, a deliverer that
// died mid-send leaves its row to another after the lease and the note is not posted twice, and sent
// rows are pruned with the rest of history.
import { describe, expect, test } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { redactor } from '../../src/core/redact.ts';
import { retryPolicy } from '../../src/core/retry.ts';
import { connect } from '../../src/db/driver.ts';
import { pagerDutyClient } from '../../src/integrations/pagerduty/client.ts';
import { WritebackDeliverer } from '../../src/integrations/writeback/deliverer.ts';
import { WritebackOutbox } from '../../src/integrations/writeback/outbox.ts';
import { pagerDutySender } from '../../src/integrations/writeback/senders.ts';
import { pruneWritebackSql } from '../../src/store/outbox.ts';
import { testDatabase } from '../support/db.ts';
import { fakePagerDuty } from '../support/fake-pagerduty.ts';
import { until } from '../support/until.ts';

const TOKEN = 'pd-api-key-y_Nbg3K9';
const FROM = 'firebreak-bot@acme.example';

async function setup() {
  const db = await testDatabase();
  const driver = await connect({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, migrate: true });
  const pd = await fakePagerDuty({ token: TOKEN, users: [FROM] });
  pd.addIncident('PGR0VU2');
  const outbox = new WritebackOutbox(driver, systemClock, redactor([TOKEN]));
  const client = pagerDutyClient({ fetch, token: TOKEN, from: FROM, apiUrl: pd.url });
  return {
    driver,
    pd,
    outbox,
    client,
    async [Symbol.asyncDispose]() {
      await pd.close();
      await driver.close();
      await db.drop();
    },
  };
}

const note = (key: string, content: string) => ({
  service: 'pagerduty' as const,
  op: 'note' as const,
  key,
  sequence: 'pagerduty:PGR0VU2',
  body: { incident: 'PGR0VU2', content },
});

describe('write-back outbox', () => {
  test('the same key is queued once', async () => {
    await using s = await setup();
    expect(await s.outbox.enqueue(note('pd:run-1:end', 'run succeeded'))).toBe(true);
    expect(await s.outbox.enqueue(note('pd:run-1:end', 'run succeeded'))).toBe(false);
    expect(await s.driver.query('SELECT key FROM writeback_outbox')).toHaveLength(1);
  });

  test('a deliverer that died mid-send: the next one takes the row after the lease, finds the note, posts none', async () => {
    await using s = await setup();
    await s.outbox.enqueue(note('pd:run-1:applied:restart:1', 'mitigation "restart" applied'));
    // The first deliverer claims the row, posts the note, and dies before it records that.
    const [claimed] = await s.outbox.claim(['pagerduty'], 10, 2_000);
    expect(claimed).toMatchObject({ claims: 1 });
    await pagerDutySender(s.client)(claimed!);
    expect(await s.outbox.claim(['pagerduty'], 10, 300)).toEqual([]); // still leased

    const next = new WritebackDeliverer({
      outbox: s.outbox,
      senders: { pagerduty: pagerDutySender(s.client) },
      clock: systemClock,
      logger: silentLogger,
      retry: retryPolicy({ maxAttempts: 3, initialDelayMs: 50 }),
      pollMs: 50,
      leaseMs: 300,
    });
    next.start();
    try {
      const [row] = await until(async () => {
        const r = await s.driver.query(
          "SELECT status, claims, remote_id FROM writeback_outbox WHERE status = 'sent'",
        );
        return r.length > 0 ? r : null;
      });
      const notes = s.pd.incidents.get('PGR0VU2')!.notes;
      expect(notes.map((n) => n.content)).toEqual(['mitigation "restart" applied']);
      expect(row).toMatchObject({ claims: 2, remote_id: notes[0]!.id });
      expect(s.pd.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /incidents/PGR0VU2/notes',
        'GET /incidents/PGR0VU2/notes',
      ]);
    } finally {
      await next.stop();
    }
  });

  test('rows sent or given up are pruned past retention; pending ones never', async () => {
    await using s = await setup();
    await s.outbox.enqueue(note('a', 'sent long ago'));
    await s.outbox.enqueue(note('b', 'still pending'));
    await s.driver.query(
      "UPDATE writeback_outbox SET status = 'sent', created_at = now() - interval '100 days' WHERE key = 'a'",
    );
    await s.driver.query(
      "UPDATE writeback_outbox SET created_at = now() - interval '100 days' WHERE key = 'b'",
    );
    const pruned = await s.driver.query(pruneWritebackSql, [new Date(Date.now() - 90 * 86_400_000), 100]);
    expect(pruned).toHaveLength(1);
    expect((await s.driver.query('SELECT key FROM writeback_outbox')).map((r) => r.key)).toEqual(['b']);
  });
});
